/// Limits and persistence of a ``TTSCache``.
public struct TTSCacheConfiguration: Sendable, Equatable {
    /// Upper bound of the audio bytes held by evictable entries (default 32 MiB).
    public var maxBytes: Int
    /// Larger syntheses are not cached (default 2 MiB ≈ 44 s of 24 kHz PCM16).
    public var maxEntryBytes: Int
    /// A directory to persist entries in, or nil for memory only.
    public var directory: String?

    /// Creates a configuration.
    public init(maxBytes: Int = 32 << 20, maxEntryBytes: Int = 2 << 20, directory: String? = nil) {
        self.maxBytes = max(0, maxBytes)
        self.maxEntryBytes = max(0, maxEntryBytes)
        self.directory = directory
    }
}
