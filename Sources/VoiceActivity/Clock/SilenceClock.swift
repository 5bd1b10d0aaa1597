/// Time since the caller last spoke, driven by frame time rather than the wall clock.
///
/// Advance it once per frame. Speech inside an utterance is first noted as tentative;
/// when the utterance is accepted it becomes the confirmed last speech, and when the
/// short-audio filter drops it (a cough, a click) the clock rolls back, so a burst does not
/// postpone an idle prompt.
public struct SilenceClock: Sendable, Hashable {
    /// Stream time now (end of the last frame).
    public private(set) var now: Duration = .zero
    /// End of the last confirmed speech, or `nil` if the caller has not spoken yet.
    public private(set) var lastConfirmedSpeech: Duration?
    private var tentativeSpeech: Duration?

    /// Creates a clock at stream time zero.
    public init() {}

    /// Moves the clock forward by one frame; `speech` marks the frame as the caller speaking.
    public mutating func advance(by frame: Duration, speech: Bool) {
        now += frame
        if speech { tentativeSpeech = now }
    }

    /// Makes the tentative speech the confirmed last speech (utterance accepted).
    public mutating func confirm() {
        if let tentativeSpeech { lastConfirmedSpeech = tentativeSpeech }
        tentativeSpeech = nil
    }

    /// Forgets the tentative speech (utterance dropped).
    public mutating func rollBack() {
        tentativeSpeech = nil
    }

    /// Time since the caller last spoke (confirmed or in an utterance still open); since the
    /// stream began if the caller has not spoken.
    public var silence: Duration {
        now - (tentativeSpeech ?? lastConfirmedSpeech ?? .zero)
    }
}
