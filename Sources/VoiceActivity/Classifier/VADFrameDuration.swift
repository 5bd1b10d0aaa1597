/// Frame lengths the voice-activity detector accepts.
public enum VADFrameDuration: Int, Sendable, Hashable, CaseIterable {
    /// 10 ms frames.
    case ms10 = 10
    /// 20 ms frames (one Twilio media message).
    case ms20 = 20

    /// Frame length in milliseconds.
    public var milliseconds: Int { rawValue }
}
