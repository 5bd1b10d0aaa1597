/// Why the ``ShortAudioFilter`` kept an utterance away from STT.
public enum DropReason: String, Sendable, Hashable, CaseIterable {
    /// Less detected speech than the minimum (125 ms by default).
    case tooShort
    /// Speech barely above the noise floor.
    case nearNoiseFloor
    /// Too few voiced frames: a click, cough, thump or crackle rather than speech.
    case unvoiced
}
