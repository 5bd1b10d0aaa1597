/// What an ``UtteranceSegmenter`` reports after a frame.
public enum SegmenterEvent: Sendable, Hashable {
    /// Speech has lasted the start hangover: an utterance began (use it for barge-in).
    /// `onset` is where the speech run began; `detectedAt` is the end of the frame that confirmed it.
    case speechStarted(onset: Duration, detectedAt: Duration)
    /// An utterance ended (silence, maximum length or end of stream).
    case speechEnded(Utterance)
}
