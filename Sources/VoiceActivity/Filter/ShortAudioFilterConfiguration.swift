/// Rules of the ``ShortAudioFilter``.
public struct ShortAudioFilterConfiguration: Sendable, Hashable {
    /// Utterances with less detected speech than this are dropped (default 125 ms).
    public var minimumSpeech: Duration
    /// Utterances whose speech frames average less SNR than this (dB) are dropped as near the noise floor.
    public var minimumMeanSNRDB: Float
    /// Utterances with fewer voiced (periodic) speech frames than this are dropped as non-speech
    /// (clicks, coughs, thumps). 0 disables the check.
    public var minimumVoicedFrames: Int

    /// Creates a configuration.
    /// - Parameters:
    ///   - minimumSpeech: default 125 ms.
    ///   - minimumMeanSNRDB: default 1.5 dB (posterior in-band SNR averaged over the speech frames).
    ///   - minimumVoicedFrames: default 1.
    public init(minimumSpeech: Duration = .milliseconds(125), minimumMeanSNRDB: Float = 1.5, minimumVoicedFrames: Int = 1) {
        self.minimumSpeech = minimumSpeech
        self.minimumMeanSNRDB = minimumMeanSNRDB
        self.minimumVoicedFrames = minimumVoicedFrames
    }
}
