import CallEngine
import Logging
import OpenAIServices
import SpeechServices

/// Builds the worker's providers.
public enum ProviderFactory {
    /// OpenAI-compatible STT, chat and TTS clients (AsyncHTTPClient), each wrapped in the
    /// SpeechServices resilience wrapper (circuit breaker, retries with backoff, timeouts),
    /// with a shared TTS phrase cache.
    ///
    /// With `callSlots` (the worker's `MAX_CONCURRENT_CALLS`), the shared connection pool is
    /// sized so no call waits for a connection:
    /// ``OpenAIConfiguration/connectionsPerHost(forCallSlots:)`` (three per slot, at least 16),
    /// unless the configuration already asks for more.
    /// - Returns: the providers and the client (shut it down on exit). The client is also the
    ///   worker's ``ProviderWarmup``: call `preconnect(context:)` when a call is announced.
    public static func openAI(
        _ configuration: OpenAIConfiguration,
        callSlots: Int? = nil,
        policy: ResiliencePolicy = ResiliencePolicy(),
        cache: TTSCache = TTSCache(),
        logger: Logger
    ) -> (providers: CallProviders, client: OpenAIClient) {
        var configuration = configuration
        if let callSlots {
            configuration.maximumConnectionsPerHost = max(
                configuration.maximumConnectionsPerHost, OpenAIConfiguration.connectionsPerHost(forCallSlots: callSlots)
            )
        }
        let client = OpenAIClient(configuration: configuration)
        logger.info(
            "provider connection pool",
            metadata: [
                "provider": "\(configuration.providerName)", "connections_per_host": "\(configuration.maximumConnectionsPerHost)",
                "idle_timeout_s": "\(configuration.connectionIdleTimeout.components.seconds)", "http_version": "automatic",
            ]
        )
        let providers = CallProviders(
            speechToText: ResilientSpeechToText(client.transcriber, policy: policy, logger: logger),
            languageModel: ResilientLanguageModel(client.chatModel, policy: policy, logger: logger),
            textToSpeech: ResilientTextToSpeech(client.speechSynthesizer, policy: policy, logger: logger),
            ttsCache: cache
        )
        return (providers, client)
    }
}
