/// The format of synthesized audio as declared by a TTS provider.
public struct SpeechAudioFormat: Sendable, Hashable, CustomStringConvertible {
    /// Sample encoding.
    public enum Encoding: String, Sendable, Hashable {
        /// Signed 16-bit little-endian PCM.
        case pcm16LittleEndian = "pcm_s16le"
        /// G.711 mu-law, 8 bits per sample.
        case muLaw = "mulaw"
        /// G.711 A-law, 8 bits per sample.
        case aLaw = "alaw"

        /// Bytes per sample of one channel.
        public var bytesPerSample: Int { self == .pcm16LittleEndian ? 2 : 1 }
    }

    /// Sample encoding.
    public var encoding: Encoding
    /// Sample rate in Hz.
    public var sampleRate: Int
    /// Channel count.
    public var channels: Int

    /// Creates a format.
    public init(encoding: Encoding, sampleRate: Int, channels: Int = 1) {
        self.encoding = encoding
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// OpenAI's `pcm` response format: 24 kHz, 16-bit little-endian, mono.
    public static let pcm24kMono = SpeechAudioFormat(encoding: .pcm16LittleEndian, sampleRate: 24_000)

    /// Bytes per sample frame (all channels).
    public var bytesPerFrame: Int { encoding.bytesPerSample * channels }

    /// `pcm_s16le@24000Hz/1ch`.
    public var description: String { "\(encoding.rawValue)@\(sampleRate)Hz/\(channels)ch" }
}
