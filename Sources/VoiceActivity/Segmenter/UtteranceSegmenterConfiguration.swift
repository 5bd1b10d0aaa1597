/// Timing rules of an ``UtteranceSegmenter``. Durations are rounded up to whole frames.
public struct UtteranceSegmenterConfiguration: Sendable, Hashable {
    /// Speech must last this long (consecutive speech frames) before an utterance starts.
    public var startHangover: Duration
    /// Silence must last this long before an utterance ends (500-800 ms is typical for calls).
    public var stopHangover: Duration
    /// Audio kept before the detected onset so STT hears the first phoneme.
    public var preRoll: Duration
    /// Audio kept after the last speech frame in the emitted samples.
    public var postRoll: Duration
    /// An utterance that reaches this length is cut and emitted; the next one starts at once.
    public var maximumUtterance: Duration
    /// A speech frame counts as voiced (``UtteranceStatistics/voicedFrames``) at or above this periodicity.
    public var voicedPeriodicity: Float

    /// Creates a configuration.
    /// - Parameters:
    ///   - startHangover: default 60 ms.
    ///   - stopHangover: default 500 ms.
    ///   - preRoll: default 200 ms.
    ///   - postRoll: default 100 ms (at most `stopHangover`).
    ///   - maximumUtterance: default 30 s.
    ///   - voicedPeriodicity: default 0.4.
    public init(
        startHangover: Duration = .milliseconds(60),
        stopHangover: Duration = .milliseconds(500),
        preRoll: Duration = .milliseconds(200),
        postRoll: Duration = .milliseconds(100),
        maximumUtterance: Duration = .seconds(30),
        voicedPeriodicity: Float = 0.4
    ) {
        self.voicedPeriodicity = voicedPeriodicity
        self.startHangover = startHangover
        self.stopHangover = stopHangover
        self.preRoll = preRoll
        self.postRoll = postRoll
        self.maximumUtterance = maximumUtterance
    }
}
