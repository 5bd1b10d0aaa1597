import CallAudio

/// Frame classifier + utterance segmenter + short-audio filter + silence clock for one call.
///
/// Feed it every inbound frame (PCM16 or mu-law) in order. It returns at most one event
/// per frame. Per-frame work does not allocate; only a finished utterance allocates its
/// samples. Per-call state only: create one detector per call and use it from the task
/// that owns the call (it is not `Sendable`).
public final class VoiceActivityDetector {
    /// The configuration in force.
    public let configuration: VoiceActivityConfiguration
    /// The frame classifier (exposed for diagnostics).
    public let classifier: FrameClassifier
    /// The segmenter (exposed for its state).
    public let segmenter: UtteranceSegmenter
    /// The short-audio filter with its counters.
    public private(set) var filter: ShortAudioFilter
    /// Time since the caller last spoke.
    public private(set) var silenceClock = SilenceClock()
    /// The classifier's result for the last frame.
    public private(set) var lastAnalysis: FrameAnalysis = .silent

    private let frameDuration: Duration
    private let decoded: UnsafeMutableBufferPointer<Int16>

    /// Creates a detector; allocates every buffer it needs.
    public init(configuration: VoiceActivityConfiguration = .init()) {
        self.configuration = configuration
        classifier = FrameClassifier(configuration: configuration.classifier)
        segmenter = UtteranceSegmenter(
            configuration: configuration.segmenter,
            sampleRate: configuration.classifier.sampleRate,
            frameDuration: configuration.classifier.frameDuration)
        filter = ShortAudioFilter(configuration: configuration.filter)
        frameDuration = .milliseconds(configuration.classifier.frameDuration.milliseconds)
        decoded = .allocate(capacity: configuration.classifier.samplesPerFrame)
        decoded.initialize(repeating: 0)
    }

    deinit {
        decoded.deallocate()
    }

    /// Samples expected per frame.
    public var samplesPerFrame: Int { classifier.samplesPerFrame }

    /// Time since the caller last spoke (frame time).
    public var silence: Duration { silenceClock.silence }

    /// Short-audio filter counters (STT calls saved and why).
    public var filterCounters: ShortAudioFilterCounters { filter.counters }

    /// Processes one PCM16 frame. Does not allocate unless it returns a finished utterance.
    /// - Throws: ``AudioError/invalidFrameLength(_:)`` for a frame of the wrong length.
    public func process(_ frame: UnsafeBufferPointer<Int16>) throws(AudioError) -> VoiceActivityEvent? {
        let analysis = try classifier.classify(frame)
        lastAnalysis = analysis
        let event = try segmenter.process(frame, analysis: analysis)
        var inUtterance = false
        if case .speaking = segmenter.state { inUtterance = true }
        silenceClock.advance(by: frameDuration, speech: inUtterance && analysis.isSpeech)
        return route(event)
    }

    /// Decodes one G.711 mu-law frame (one byte per sample) and processes it. Does not allocate
    /// unless it returns a finished utterance.
    /// - Throws: ``AudioError/invalidFrameLength(_:)`` for a frame of the wrong length.
    public func processMuLaw(_ codes: UnsafeBufferPointer<UInt8>) throws(AudioError) -> VoiceActivityEvent? {
        guard codes.count == samplesPerFrame else { throw .invalidFrameLength(codes.count) }
        try MuLaw.decode(codes, into: decoded)
        return try process(UnsafeBufferPointer(decoded))
    }

    /// Silence since the last speech of the utterance in progress (nil outside an utterance).
    public var silenceInUtterance: Duration? {
        segmenter.silentFramesInUtterance.map { frameDuration * $0 }
    }

    /// The utterance in progress as it would end now, if the short-audio filter would keep
    /// it (see ``UtteranceSegmenter/snapshot()``). Allocates.
    public func pendingUtterance() -> Utterance? {
        guard let utterance = segmenter.snapshot(), filter.verdict(for: utterance) == nil else { return nil }
        return utterance
    }

    /// Ends the stream: closes and judges the utterance in progress, if any.
    public func finish() -> VoiceActivityEvent? {
        route(segmenter.flush())
    }

    private func route(_ event: SegmenterEvent?) -> VoiceActivityEvent? {
        switch event {
        case nil:
            return nil
        case .speechStarted(let onset, let detectedAt):
            return .speechStarted(onset: onset, detectedAt: detectedAt)
        case .speechEnded(let utterance):
            if let reason = filter.evaluate(utterance) {
                silenceClock.rollBack()
                return .utteranceDropped(utterance, reason)
            }
            silenceClock.confirm()
            return .utterance(utterance)
        }
    }
}
