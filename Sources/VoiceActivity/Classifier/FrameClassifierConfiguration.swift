/// Settings of a ``FrameClassifier``.
public struct FrameClassifierConfiguration: Sendable, Hashable {
    /// Input sample rate.
    public var sampleRate: VADSampleRate
    /// Length of every frame passed to ``FrameClassifier/classify(_:)``.
    public var frameDuration: VADFrameDuration
    /// How readily frames count as speech, from 0 (strict: fewer false alarms, may miss
    /// quiet speech) to 1 (eager). 0.5 is the evaluated default.
    public var sensitivity: Double
    /// Frames quieter than this (dBFS, RMS of the frame) are never speech.
    public var minimumSpeechLevelDBFS: Double
    /// Lower edge of the analysed band in hertz (telephone band by default).
    public var bandLowHertz: Double
    /// Upper edge of the analysed band in hertz.
    public var bandHighHertz: Double

    /// Creates a configuration.
    /// - Parameters:
    ///   - sampleRate: input sample rate (default 8 kHz).
    ///   - frameDuration: frame length (default 20 ms).
    ///   - sensitivity: 0 (strict) ... 1 (eager), clamped; default 0.5.
    ///   - minimumSpeechLevelDBFS: absolute level gate; default -60 dBFS.
    ///   - bandLowHertz: lower analysis band edge; default 300 Hz.
    ///   - bandHighHertz: upper analysis band edge; default 3400 Hz.
    public init(
        sampleRate: VADSampleRate = .hz8000,
        frameDuration: VADFrameDuration = .ms20,
        sensitivity: Double = 0.5,
        minimumSpeechLevelDBFS: Double = -60,
        bandLowHertz: Double = 300,
        bandHighHertz: Double = 3400
    ) {
        self.sampleRate = sampleRate
        self.frameDuration = frameDuration
        self.sensitivity = min(max(sensitivity, 0), 1)
        self.minimumSpeechLevelDBFS = minimumSpeechLevelDBFS
        self.bandLowHertz = bandLowHertz
        self.bandHighHertz = bandHighHertz
    }

    /// Samples in one frame.
    public var samplesPerFrame: Int { sampleRate.hertz * frameDuration.milliseconds / 1000 }
}
