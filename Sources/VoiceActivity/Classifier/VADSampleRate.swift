/// Sample rates the voice-activity detector accepts (mono PCM16).
public enum VADSampleRate: Int, Sendable, Hashable, CaseIterable {
    /// 8 kHz narrowband telephone audio (G.711 from Twilio).
    case hz8000 = 8000
    /// 16 kHz wideband audio.
    case hz16000 = 16000

    /// Samples per second.
    public var hertz: Int { rawValue }
}
