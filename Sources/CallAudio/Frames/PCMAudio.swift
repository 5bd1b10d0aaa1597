/// A run of linear PCM16 mono samples at one sample rate: agent speech on its way from a
/// call engine to a carrier adapter, which encodes and resamples it for its wire.
public struct PCMAudio: Sendable, Hashable {
    /// The samples.
    public var samples: [Int16]
    /// Their sample rate in Hz.
    public var sampleRate: Int

    /// Creates audio from samples.
    public init(samples: [Int16], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// Playing time.
    public var duration: Duration {
        guard sampleRate > 0 else { return .zero }
        return .microseconds(Int64(samples.count) * 1_000_000 / Int64(sampleRate))
    }

    /// The format: PCM16 mono at ``sampleRate``.
    public var format: AudioFormat { AudioFormat(encoding: .pcm16, sampleRate: sampleRate) }
}
