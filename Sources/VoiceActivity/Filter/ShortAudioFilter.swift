/// Decides whether an utterance is worth an STT request.
///
/// Drops utterances with less detected speech than the minimum (125 ms by default), with
/// too few voiced frames, or whose speech averages barely above the noise floor, and counts
/// each drop by reason. One-word answers ("yes", "no", "OK") carry 150 ms or more of voiced
/// speech and pass.
public struct ShortAudioFilter: Sendable, Hashable {
    /// The rules in force.
    public var configuration: ShortAudioFilterConfiguration
    /// Running counts of accepted and dropped utterances.
    public private(set) var counters = ShortAudioFilterCounters()

    /// Creates a filter.
    public init(configuration: ShortAudioFilterConfiguration = .init()) {
        self.configuration = configuration
    }

    /// The reason `utterance` would be dropped, or `nil` if it should go to STT. Does not count.
    public func verdict(for utterance: Utterance) -> DropReason? {
        let stats = utterance.statistics
        if stats.speechDuration < configuration.minimumSpeech { return .tooShort }
        if stats.voicedFrames < configuration.minimumVoicedFrames { return .unvoiced }
        if stats.meanSNRDB < configuration.minimumMeanSNRDB { return .nearNoiseFloor }
        return nil
    }

    /// Judges `utterance`, updates the counters and returns the drop reason (`nil` = keep).
    public mutating func evaluate(_ utterance: Utterance) -> DropReason? {
        let reason = verdict(for: utterance)
        switch reason {
        case nil: counters.accepted += 1
        case .tooShort: counters.droppedTooShort += 1
        case .nearNoiseFloor: counters.droppedNearNoiseFloor += 1
        case .unvoiced: counters.droppedUnvoiced += 1
        }
        if reason != nil { counters.droppedAudio += utterance.audioDuration }
        return reason
    }
}
