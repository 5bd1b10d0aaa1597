/// Measurements over the speech frames of one utterance.
public struct UtteranceStatistics: Sendable, Hashable {
    /// Frames classified as speech inside the utterance (onset run included; frames of
    /// unconfirmed runs inside the stop hangover excluded).
    public var speechFrames: Int
    /// Detected speech time: from the onset to the end of the last speech frame (the span the
    /// ``ShortAudioFilter`` compares with its minimum). Short pauses inside count; the silence
    /// before and after does not.
    public var speechDuration: Duration
    /// Speech frames with clear voicing (periodicity at or above the segmenter's `voicedPeriodicity`).
    public var voicedFrames: Int
    /// Mean in-band SNR of the speech frames, dB.
    public var meanSNRDB: Float
    /// Loudest speech frame, dBFS.
    public var peakLevelDBFS: Float
    /// Noise floor when the utterance ended, dBFS.
    public var noiseFloorDBFS: Float

    /// Creates statistics (mainly for tests).
    public init(
        speechFrames: Int, speechDuration: Duration, voicedFrames: Int,
        meanSNRDB: Float, peakLevelDBFS: Float, noiseFloorDBFS: Float
    ) {
        self.speechFrames = speechFrames
        self.speechDuration = speechDuration
        self.voicedFrames = voicedFrames
        self.meanSNRDB = meanSNRDB
        self.peakLevelDBFS = peakLevelDBFS
        self.noiseFloorDBFS = noiseFloorDBFS
    }
}
