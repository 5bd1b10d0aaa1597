/// One 20 ms frame of linear PCM16 mono audio at 8 or 16 kHz (160 or 320 samples), stored
/// inline so passing a frame between tasks never allocates.
///
/// This is what a call engine consumes: carrier adapters decode their codec (G.711 mu-law,
/// A-law, linear PCM) and resample into frames of the engine's negotiated format.
public struct AudioFrame: Sendable {
    /// Most samples a frame holds: 20 ms at 16 kHz.
    public static let capacity = 320

    private var storage: InlineArray<320, Int16>
    /// Valid samples (160 at 8 kHz, 320 at 16 kHz).
    public private(set) var count: Int
    /// Sample rate of the frame.
    public let sampleRate: Int

    /// Copies one frame of samples.
    /// - Throws: ``AudioError/invalidFrameLength(_:)`` when `samples` is empty, longer than
    ///   20 ms at `sampleRate`, or `sampleRate` is not 8000 or 16000.
    public init(_ samples: UnsafeBufferPointer<Int16>, sampleRate: Int) throws(AudioError) {
        guard sampleRate == 8000 || sampleRate == 16000 else { throw .unsupportedSampleRate(Double(sampleRate)) }
        guard !samples.isEmpty, samples.count <= sampleRate / 50 else { throw .invalidFrameLength(samples.count) }
        storage = InlineArray(repeating: 0)
        count = samples.count
        self.sampleRate = sampleRate
        for i in 0..<samples.count { storage[i] = samples[i] }
    }

    /// Copies one frame of samples from an array.
    public init(_ samples: [Int16], sampleRate: Int) throws(AudioError) {
        let result = samples.withUnsafeBufferPointer { buffer in
            Result { () throws(AudioError) in try AudioFrame(buffer, sampleRate: sampleRate) }
        }
        self = try result.get()
    }

    /// A full frame of silence.
    public init(silenceAt sampleRate: Int) {
        storage = InlineArray(repeating: 0)
        self.sampleRate = sampleRate == 16000 ? 16000 : 8000
        count = self.sampleRate / 50
    }

    /// Samples in a full 20 ms frame at this rate.
    public var fullCount: Int { sampleRate / 50 }

    /// The frame's duration (20 ms for a full frame).
    public var duration: Duration { .microseconds(count * 1_000_000 / sampleRate) }

    /// Calls `body` with the valid samples.
    public func withUnsafeSamples<R, E: Error>(_ body: (UnsafeBufferPointer<Int16>) throws(E) -> R) throws(E) -> R {
        let span = storage.span
        return try span.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<Int16>) throws(E) -> R in
            try body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}
