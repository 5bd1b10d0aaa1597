import CallAudio
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers

/// A byte-bounded LRU cache of synthesized phrases, optionally persisted on disk.
///
/// Pinned entries (pre-warmed phrases such as the greeting) are never evicted; the others
/// are evicted least-recently-used first once their total exceeds
/// ``TTSCacheConfiguration/maxBytes``. Metrics: `speech_tts_cache_hits_total`,
/// `speech_tts_cache_misses_total`, `speech_tts_cache_evictions_total` and the gauge
/// `speech_tts_cache_bytes`.
public final class TTSCache: Sendable {
    private struct State: Sendable {
        var lru: LRUByteStore<TTSCacheKey, CachedAudio>
        var pinned: [TTSCacheKey: CachedAudio] = [:]
        var pinnedBytes = 0
    }

    private struct FileHeader: Codable {
        var key: TTSCacheKey
        var encoding: String
        var sampleRate: Int
        var channels: Int
        var pinned: Bool
    }

    /// Limits and persistence.
    public let configuration: TTSCacheConfiguration
    private let state: NIOLockedValueBox<State>
    private let logger: Logger
    private let hits = Counter(label: "speech_tts_cache_hits_total")
    private let misses = Counter(label: "speech_tts_cache_misses_total")
    private let evictions = Counter(label: "speech_tts_cache_evictions_total")
    private let bytesGauge = Gauge(label: "speech_tts_cache_bytes")

    /// Creates an empty cache. Call ``loadPersisted()`` to read a configured directory.
    public init(configuration: TTSCacheConfiguration = TTSCacheConfiguration(), logger: Logger = Logger(label: "speech-services.tts-cache")) {
        self.configuration = configuration
        self.state = NIOLockedValueBox(State(lru: LRUByteStore(maxBytes: configuration.maxBytes)))
        self.logger = logger
    }

    /// Looks up audio and counts a hit or a miss.
    public func audio(for key: TTSCacheKey) -> CachedAudio? {
        let found = state.withLockedValue { state in
            state.pinned[key] ?? state.lru.value(for: key)
        }
        if found != nil { hits.increment() } else { misses.increment() }
        return found
    }

    /// Whether `key` is cached (does not count as a hit or miss, does not touch LRU order).
    public func contains(_ key: TTSCacheKey) -> Bool {
        state.withLockedValue { state in
            state.pinned[key] != nil || state.lru.contains(key)
        }
    }

    /// Stores audio. Entries above ``TTSCacheConfiguration/maxEntryBytes`` are ignored
    /// unless pinned. Persists to disk when a directory is configured.
    public func insert(_ audio: CachedAudio, for key: TTSCacheKey, pinned: Bool = false) {
        guard pinned || audio.bytes.count <= configuration.maxEntryBytes else { return }
        let (evicted, total) = state.withLockedValue { state -> ([TTSCacheKey], Int) in
            var evicted: [TTSCacheKey] = []
            if pinned {
                state.lru.remove(key)
                state.pinnedBytes += audio.bytes.count - (state.pinned[key]?.bytes.count ?? 0)
                state.pinned[key] = audio
            } else if state.pinned[key] == nil {
                evicted = state.lru.insert(audio, bytes: audio.bytes.count, for: key)
            }
            return (evicted, state.lru.totalBytes + state.pinnedBytes)
        }
        bytesGauge.record(total)
        if !evicted.isEmpty { evictions.increment(by: evicted.count) }
        guard let directory = configuration.directory else { return }
        for key in evicted { try? FileManager.default.removeItem(atPath: Self.path(for: key, in: directory)) }
        persist(audio, key: key, pinned: pinned, directory: directory)
    }

    /// Number of entries and their total bytes.
    public var statistics: (entries: Int, bytes: Int) {
        state.withLockedValue { ($0.lru.count + $0.pinned.count, $0.lru.totalBytes + $0.pinnedBytes) }
    }

    /// Loads every entry persisted in the configured directory; returns how many were loaded.
    @discardableResult
    public func loadPersisted() -> Int {
        guard let directory = configuration.directory,
            let names = try? FileManager.default.contentsOfDirectory(atPath: directory)
        else { return 0 }
        var loaded = 0
        for name in names where name.hasSuffix(".ttscache") {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path), let (header, audio) = Self.decode(data) else {
                logger.warning("ignoring unreadable cache file", metadata: ["path": "\(path)"])
                continue
            }
            let inserted = state.withLockedValue { state -> Bool in
                if header.pinned {
                    state.pinnedBytes += audio.bytes.count - (state.pinned[header.key]?.bytes.count ?? 0)
                    state.pinned[header.key] = audio
                } else {
                    _ = state.lru.insert(audio, bytes: audio.bytes.count, for: header.key)
                }
                return true
            }
            if inserted { loaded += 1 }
        }
        bytesGauge.record(statistics.bytes)
        return loaded
    }

    private func persist(_ audio: CachedAudio, key: TTSCacheKey, pinned: Bool, directory: String) {
        let header = FileHeader(
            key: key, encoding: audio.format.encoding.rawValue, sampleRate: audio.format.sampleRate,
            channels: audio.format.channels, pinned: pinned
        )
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let headerData = try JSONEncoder().encode(header)
            var data = Data()
            var length = UInt32(headerData.count).littleEndian
            withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
            data.append(headerData)
            data.append(contentsOf: audio.bytes)
            try data.write(to: URL(fileURLWithPath: Self.path(for: key, in: directory)), options: .atomic)
        } catch {
            logger.warning("could not persist cache entry", metadata: ["error": "\(error)", "directory": "\(directory)"])
        }
    }

    private static func decode(_ data: Data) -> (FileHeader, CachedAudio)? {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { return nil }
        let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        guard length > 0, 4 + length <= bytes.count,
            let header = try? JSONDecoder().decode(FileHeader.self, from: Data(bytes[4..<(4 + length)])),
            let encoding = AudioEncoding(rawValue: header.encoding),
            // A damaged file must not carry numbers that overflow later arithmetic.
            (1...384_000).contains(header.sampleRate), (1...8).contains(header.channels)
        else { return nil }
        let format = AudioFormat(encoding: encoding, sampleRate: header.sampleRate, channels: header.channels)
        return (header, CachedAudio(format: format, bytes: Array(bytes[(4 + length)...])))
    }

    /// File path of a key: a 64-bit FNV-1a hash of its fields.
    static func path(for key: TTSCacheKey, in directory: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for field in [key.provider, key.model, key.voice, key.format, key.style, key.text] {
            for byte in field.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            hash ^= 0xff
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return directory + "/" + String(repeating: "0", count: 16 - hex.count) + hex + ".ttscache"
    }
}
