/// All settings of a ``VoiceActivityDetector`` (per call).
public struct VoiceActivityConfiguration: Sendable, Hashable {
    /// Frame classifier settings (rate, frame length, sensitivity).
    public var classifier: FrameClassifierConfiguration
    /// Segmenter timing (hangovers, pre-roll, maximum length).
    public var segmenter: UtteranceSegmenterConfiguration
    /// Short-audio filter rules.
    public var filter: ShortAudioFilterConfiguration

    /// Creates a configuration; every part has telephone-call defaults.
    public init(
        classifier: FrameClassifierConfiguration = .init(),
        segmenter: UtteranceSegmenterConfiguration = .init(),
        filter: ShortAudioFilterConfiguration = .init()
    ) {
        self.classifier = classifier
        self.segmenter = segmenter
        self.filter = filter
    }
}
