import CallEngine
import Logging
import OpenAIServices
import SpeechServices

/// Builds the worker's providers.
public enum ProviderFactory {
    /// OpenAI-compatible STT, chat and TTS clients (AsyncHTTPClient), each wrapped in the
    /// SpeechServices resilience wrapper (circuit breaker, retries with backoff, timeouts),
    /// with a shared TTS phrase cache.
    /// - Returns: the providers and the client (shut it down on exit).
    public static func openAI(
        _ configuration: OpenAIConfiguration,
        policy: ResiliencePolicy = ResiliencePolicy(),
        cache: TTSCache = TTSCache(),
        logger: Logger
    ) -> (providers: CallProviders, client: OpenAIClient) {
        let client = OpenAIClient(configuration: configuration)
        let providers = CallProviders(
            speechToText: ResilientSpeechToText(client.transcriber, policy: policy, logger: logger),
            languageModel: ResilientLanguageModel(client.chatModel, policy: policy, logger: logger),
            textToSpeech: ResilientTextToSpeech(client.speechSynthesizer, policy: policy, logger: logger),
            ttsCache: cache
        )
        return (providers, client)
    }
}
