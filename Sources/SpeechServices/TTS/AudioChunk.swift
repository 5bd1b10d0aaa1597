import CallAudio

/// A piece of synthesized audio. Chunks always hold whole sample frames.
public struct AudioChunk: Sendable, Equatable {
    /// Format of `bytes`.
    public var format: AudioFormat
    /// Raw audio bytes in `format`.
    public var bytes: [UInt8]

    /// Creates a chunk.
    public init(format: AudioFormat, bytes: [UInt8]) {
        self.format = format
        self.bytes = bytes
    }

    /// Duration of this chunk in seconds.
    public var duration: Double {
        guard format.bytesPerFrame > 0, format.sampleRate > 0 else { return 0 }
        return Double(bytes.count / format.bytesPerFrame) / Double(format.sampleRate)
    }
}
