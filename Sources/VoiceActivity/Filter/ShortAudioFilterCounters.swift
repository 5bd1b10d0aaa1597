/// What a ``ShortAudioFilter`` has let through and dropped so far (per call).
public struct ShortAudioFilterCounters: Sendable, Hashable {
    /// Utterances passed on to STT.
    public var accepted = 0
    /// Utterances dropped for being shorter than the minimum.
    public var droppedTooShort = 0
    /// Utterances dropped for being near the noise floor.
    public var droppedNearNoiseFloor = 0
    /// Utterances dropped for lack of voicing.
    public var droppedUnvoiced = 0
    /// Audio not sent to STT because its utterance was dropped.
    public var droppedAudio: Duration = .zero

    /// Creates zeroed counters.
    public init() {}

    /// STT calls saved: every dropped utterance is one request not made.
    public var sttCallsSaved: Int { droppedTooShort + droppedNearNoiseFloor + droppedUnvoiced }

    /// The counter for one reason.
    public func dropped(_ reason: DropReason) -> Int {
        switch reason {
        case .tooShort: droppedTooShort
        case .nearNoiseFloor: droppedNearNoiseFloor
        case .unvoiced: droppedUnvoiced
        }
    }
}
