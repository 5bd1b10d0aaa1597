/// One segmented utterance: its audio (with pre-roll) and where it sits in the stream.
///
/// Times count from the first frame given to the segmenter and follow the frames, not
/// the wall clock.
public struct Utterance: Sendable, Hashable {
    /// PCM16 mono samples from `audioStart` (pre-roll included) to the last speech frame plus post-roll.
    public var samples: [Int16]
    /// Sample rate of `samples` in hertz.
    public var sampleRate: Int
    /// Stream time of `samples[0]`.
    public var audioStart: Duration
    /// Stream time where the onset speech run began.
    public var speechStart: Duration
    /// Stream time where the last speech frame ended.
    public var speechEnd: Duration
    /// Why the utterance was closed.
    public var endReason: UtteranceEndReason
    /// Speech measurements used by the ``ShortAudioFilter``.
    public var statistics: UtteranceStatistics

    /// Creates an utterance (the segmenter does this; public for tests and adapters).
    public init(
        samples: [Int16], sampleRate: Int, audioStart: Duration, speechStart: Duration,
        speechEnd: Duration, endReason: UtteranceEndReason, statistics: UtteranceStatistics
    ) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.audioStart = audioStart
        self.speechStart = speechStart
        self.speechEnd = speechEnd
        self.endReason = endReason
        self.statistics = statistics
    }

    /// Length of `samples` as a duration.
    public var audioDuration: Duration {
        .microseconds(Int64(samples.count) * 1_000_000 / Int64(max(sampleRate, 1)))
    }
}
