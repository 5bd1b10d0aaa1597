/// An in-memory WAV (RIFF/WAVE) file: its format and raw sample bytes.
///
/// Reads PCM16 (format tag 1), A-law (6) and mu-law (7), mono or stereo, at any sample
/// rate from 1 Hz to 384 kHz, including `WAVE_FORMAT_EXTENSIBLE` files whose sub-format
/// is one of those. Unknown chunks (`LIST`, `fact`, `cue `, ...) are skipped. Truncated
/// or inconsistent headers are rejected with a ``WAVError`` rather than guessed at.
///
/// Writes the canonical 44-byte header for PCM16 and the 58-byte `fmt`(18) + `fact`
/// layout for G.711 that SoX and `file(1)` recognise.
public struct WAVFile: Hashable, Sendable {
    /// Encoding, rate and channel count of ``data``.
    public let format: AudioFormat
    /// Raw interleaved sample bytes, exactly as stored in the `data` chunk.
    public let data: [UInt8]

    /// Highest sample rate accepted by the reader.
    public static let maximumSampleRate = 384_000

    /// Creates a file from raw sample bytes, validating that they hold whole sample frames.
    public init(format: AudioFormat, data: [UInt8]) throws(AudioError) {
        try WAVHeader.validate(format)
        guard data.count % format.bytesPerFrame == 0 else {
            throw .wav(.partialSampleFrame(dataSize: data.count, blockAlign: format.bytesPerFrame))
        }
        guard data.count <= WAVHeader.maximumDataSize else { throw .wav(.tooLarge) }
        self.format = format
        self.data = data
    }

    /// Creates a PCM16 file from samples (interleaved when `channels` is 2).
    public init(pcm16 samples: [Int16], sampleRate: Int, channels: Int = 1) throws(AudioError) {
        try self.init(
            format: AudioFormat(encoding: .pcm16, sampleRate: sampleRate, channels: channels),
            data: PCM16.littleEndianBytes(samples)
        )
    }

    /// Parses a complete WAV file.
    /// - Throws: ``AudioError/wav(_:)`` describing the first problem found.
    public init(parsing bytes: [UInt8]) throws(AudioError) {
        let parsed = try bytes.withUnsafeBytes { raw in
            Result { () throws(AudioError) in try WAVHeader.parse(raw) }
        }.get()
        self.format = parsed.format
        self.data = Array(bytes[parsed.dataRange])
    }

    /// Number of sample frames (samples per channel).
    public var frameCount: Int { data.count / format.bytesPerFrame }

    /// Duration in seconds.
    public var duration: Double { Double(frameCount) / Double(format.sampleRate) }

    /// The samples as linear PCM16 (interleaved when stereo), decoding G.711 if needed.
    public func pcm16Samples() -> [Int16] {
        switch format.encoding {
        case .pcm16:
            // `data` was validated to hold whole samples.
            return data.withUnsafeBytes { raw in
                (0..<raw.count / 2).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
            }
        case .muLaw:
            return MuLaw.decode(data)
        case .aLaw:
            return ALaw.decode(data)
        }
    }

    /// The samples as mono linear PCM16: each frame's channels averaged (phone lines are
    /// mono), decoding G.711 if needed. Mono files give the same as ``pcm16Samples()``.
    public func monoPCM16Samples() -> [Int16] {
        let samples = pcm16Samples()
        let channels = format.channels
        guard channels > 1 else { return samples }
        let frames = samples.count / channels
        return [Int16](unsafeUninitializedCapacity: frames) { buffer, initialized in
            for frame in 0..<frames {
                var sum = 0
                for channel in 0..<channels { sum += Int(samples[frame * channels + channel]) }
                buffer[frame] = Int16(sum / channels)
            }
            initialized = frames
        }
    }

    /// The complete file: header followed by the data chunk.
    public func serialized() -> [UInt8] {
        var out = WAVHeader.bytes(format: format, dataSize: data.count)
        out.append(contentsOf: data)
        if data.count % 2 == 1 { out.append(0) }
        return out
    }

    /// Builds a canonical PCM16 WAV file (44-byte header) from samples.
    public static func serialize(pcm16 samples: [Int16], sampleRate: Int, channels: Int = 1) throws(AudioError) -> [UInt8] {
        try WAVFile(pcm16: samples, sampleRate: sampleRate, channels: channels).serialized()
    }
}
