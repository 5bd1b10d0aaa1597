/// Why an utterance was closed.
public enum UtteranceEndReason: Sendable, Hashable {
    /// Silence lasted the stop hangover.
    case silence
    /// The utterance reached the maximum length and was cut.
    case maximumLength
    /// The stream ended (``UtteranceSegmenter/flush()``).
    case endOfStream
}
