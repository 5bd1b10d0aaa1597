import SpeechServices

/// The three providers a call uses. Wrap them in SpeechServices' resilience wrappers
/// (retry, breaker, fallback) before handing them over; the engine treats what comes out
/// as final.
public struct CallProviders: Sendable {
    /// Speech to text.
    public var speechToText: any SpeechToText
    /// The language model.
    public var languageModel: any LanguageModel
    /// Text to speech (un-cached; pass the cache separately).
    public var textToSpeech: any TextToSpeech
    /// Phrase cache shared by all calls of the worker.
    public var ttsCache: TTSCache?
    /// Opens provider connections when a call starts, so its first turn does not pay for
    /// connection setup (run beside the greeting, never on the turn's path).
    public var warmup: (any ProviderWarmup)?

    /// Creates a provider set.
    public init(
        speechToText: any SpeechToText, languageModel: any LanguageModel, textToSpeech: any TextToSpeech, ttsCache: TTSCache? = nil,
        warmup: (any ProviderWarmup)? = nil
    ) {
        self.speechToText = speechToText
        self.languageModel = languageModel
        self.textToSpeech = textToSpeech
        self.ttsCache = ttsCache
        self.warmup = warmup
    }
}
