/// One 20 ms frame of 8 kHz G.711 audio (at most 160 bytes), stored inline so passing a
/// frame between tasks never allocates.
public struct AudioFrame: Sendable {
    /// Bytes per full frame: 20 ms at 8 kHz, one byte per sample.
    public static let capacity = 160

    private var storage: InlineArray<160, UInt8>
    /// Valid bytes (160 for a full frame).
    public private(set) var count: Int

    /// Copies up to 160 bytes from `bytes`.
    /// - Throws: ``CallEngineError/badAudio(_:)`` when `bytes` is empty or longer than 160 bytes.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) throws(CallEngineError) {
        guard !bytes.isEmpty, bytes.count <= Self.capacity else {
            throw .badAudio("frame of \(bytes.count) bytes; expected 1...\(Self.capacity)")
        }
        storage = InlineArray(repeating: 0)
        count = bytes.count
        for i in 0..<bytes.count { storage[i] = bytes[i] }
    }

    /// Copies up to 160 bytes from an array.
    public init(_ bytes: [UInt8]) throws(CallEngineError) {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(CallEngineError) in try AudioFrame(buffer) }
        }
        self = try result.get()
    }

    /// A full frame of one byte value (for example mu-law silence `0xFF`).
    public init(repeating byte: UInt8) {
        storage = InlineArray(repeating: byte)
        count = Self.capacity
    }

    /// Calls `body` with the valid bytes.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        let span = storage.span
        return try span.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(E) -> R in
            try body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}
