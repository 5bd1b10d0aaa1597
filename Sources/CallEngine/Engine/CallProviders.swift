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

    /// Creates a provider set.
    public init(speechToText: any SpeechToText, languageModel: any LanguageModel, textToSpeech: any TextToSpeech, ttsCache: TTSCache? = nil) {
        self.speechToText = speechToText
        self.languageModel = languageModel
        self.textToSpeech = textToSpeech
        self.ttsCache = ttsCache
    }
}
