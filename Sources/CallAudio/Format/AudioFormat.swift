/// The shape of an audio stream: encoding, sample rate and channel count.
public struct AudioFormat: Hashable, Sendable, Codable, CustomStringConvertible {
    /// How samples are stored.
    public var encoding: AudioEncoding
    /// Samples per second per channel.
    public var sampleRate: Int
    /// Interleaved channels (1 = mono, 2 = stereo).
    public var channels: Int

    /// Creates a format. No validation happens here; readers and writers validate.
    public init(encoding: AudioEncoding, sampleRate: Int, channels: Int = 1) {
        self.encoding = encoding
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// Twilio Media Streams audio: mu-law, 8 kHz, mono.
    public static let telephony = AudioFormat(encoding: .muLaw, sampleRate: 8000)
    /// Linear PCM16 at 8 kHz mono, the decoded form of ``telephony``.
    public static let pcm8k = AudioFormat(encoding: .pcm16, sampleRate: 8000)
    /// Linear PCM16 at 16 kHz mono, a common STT and VAD rate.
    public static let pcm16k = AudioFormat(encoding: .pcm16, sampleRate: 16000)
    /// Linear PCM16 at 24 kHz mono, OpenAI's `pcm` speech output.
    public static let pcm24k = AudioFormat(encoding: .pcm16, sampleRate: 24000)

    /// Bytes per sample frame (all channels of one instant).
    public var bytesPerFrame: Int { encoding.bytesPerSample * channels }

    /// Bytes for `milliseconds` of audio, rounded down to whole sample frames.
    public func byteCount(milliseconds: Int) -> Int {
        sampleRate * milliseconds / 1000 * bytesPerFrame
    }

    /// Samples per channel in `milliseconds` of audio.
    public func sampleCount(milliseconds: Int) -> Int {
        sampleRate * milliseconds / 1000
    }

    public var description: String {
        "\(encoding.rawValue) \(sampleRate) Hz \(channels) ch"
    }
}
