import CallAudio

/// Audio held by a ``TTSCache``.
public struct CachedAudio: Sendable, Equatable {
    /// Format of `bytes`.
    public var format: AudioFormat
    /// The whole synthesis.
    public var bytes: [UInt8]

    /// Creates cached audio.
    public init(format: AudioFormat, bytes: [UInt8]) {
        self.format = format
        self.bytes = bytes
    }
}
