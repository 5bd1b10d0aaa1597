/// What a ``VoiceActivityDetector`` reports after a frame.
public enum VoiceActivityEvent: Sendable, Hashable {
    /// The caller started speaking (start hangover passed): the signal for barge-in.
    case speechStarted(onset: Duration, detectedAt: Duration)
    /// An utterance passed the short-audio filter: send it to STT.
    case utterance(Utterance)
    /// An utterance was dropped by the short-audio filter (no STT request).
    case utteranceDropped(Utterance, DropReason)
}
