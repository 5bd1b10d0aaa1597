/// When each stage of one conversational turn happened, as call time (since stream start).
///
/// The reply latency the caller feels is ``replyLatency``: from the end of their speech to
/// the first agent audio frame queued for them.
public struct TurnTimings: Sendable, Hashable, Codable {
    /// Caller's speech ended (VAD).
    public var callerSpeechEnded: Duration?
    /// The utterance was emitted after the stop hangover.
    public var utteranceEmitted: Duration?
    /// STT returned.
    public var sttDone: Duration?
    /// First LLM token.
    public var llmFirstToken: Duration?
    /// First speakable sentence chunk.
    public var firstSentence: Duration?
    /// First TTS audio byte.
    public var ttsFirstByte: Duration?
    /// First agent audio frame queued to the transport.
    public var firstAudioOut: Duration?

    /// Creates empty timings.
    public init() {}

    /// End of caller speech to first agent audio.
    public var replyLatency: Duration? { span(callerSpeechEnded, firstAudioOut) }
    /// STT stage time.
    public var sttTime: Duration? { span(utteranceEmitted, sttDone) }
    /// LLM time to first token.
    public var llmTime: Duration? { span(sttDone, llmFirstToken) }
    /// TTS time to first byte after the first sentence.
    public var ttsTime: Duration? { span(firstSentence, ttsFirstByte) }

    private func span(_ start: Duration?, _ end: Duration?) -> Duration? {
        guard let start, let end else { return nil }
        return end - start
    }
}
