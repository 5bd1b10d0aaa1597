/// How samples are stored in a byte stream.
public enum AudioEncoding: String, Hashable, Sendable, Codable {
    /// Signed 16-bit little-endian linear PCM.
    case pcm16
    /// 8-bit G.711 mu-law.
    case muLaw
    /// 8-bit G.711 A-law.
    case aLaw

    /// Bytes per sample of one channel.
    public var bytesPerSample: Int {
        switch self {
        case .pcm16: 2
        case .muLaw, .aLaw: 1
        }
    }
}
