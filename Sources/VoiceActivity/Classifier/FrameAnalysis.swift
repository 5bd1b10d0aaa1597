/// What the ``FrameClassifier`` found in one frame: the decision and the features behind it.
public struct FrameAnalysis: Sendable, Hashable {
    /// Whether the frame is classified as speech (after the classifier's short hysteresis).
    public var isSpeech: Bool
    /// The combined speech score; `isSpeech` compares it with a threshold set by the sensitivity.
    public var score: Float
    /// Frame RMS level in dBFS (full-scale sine = about -3 dBFS).
    public var levelDBFS: Float
    /// Estimated in-band noise floor in dBFS.
    public var noiseFloorDBFS: Float
    /// In-band signal-to-noise ratio of the frame in dB (posterior, `10 log10(P / N)`).
    public var snrDB: Float
    /// Mean per-band log likelihood ratio of "speech + noise" against "noise" (Sohn-style).
    public var likelihoodRatio: Float
    /// Peak normalised autocorrelation of the noise-reduced spectrum in the pitch range (0 ... 1).
    public var periodicity: Float
    /// Share of analysis bands at least 6 dB above their noise estimate (0 ... 1).
    public var activeBandShare: Float
    /// Typical periodicity of the background (learned from frames near the noise floor, about 3 s).
    public var periodicityBaseline: Float
    /// How far (dB) the frame's level is below the loudest recent frame (peak decaying 1 dB/s), capped at 40.
    public var belowPeakDB: Float
    /// Share of the frame's samples at or near full scale.
    public var clippedShare: Float

    /// An all-silent analysis (used before the first frame and for tests).
    public static let silent = FrameAnalysis(
        isSpeech: false, score: 0, levelDBFS: -120, noiseFloorDBFS: -120, snrDB: 0,
        likelihoodRatio: 0, periodicity: 0, activeBandShare: 0, periodicityBaseline: 0.3, belowPeakDB: 40, clippedShare: 0)
}
