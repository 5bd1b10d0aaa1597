/// Cuts a stream of samples arriving in chunks of any size into frames of exactly
/// ``frameSize`` samples, for example the resampler's bursty output into 20 ms frames
/// (160 samples at 8 kHz) for Twilio, or 8 kHz frames into 320-sample 16 kHz frames.
///
/// Frames that lie wholly inside an input chunk are handed out without copying; only the
/// remainder between chunks is kept, in a buffer allocated once. Never allocates after `init`.
/// Not `Sendable`: one aligner belongs to one stream's task.
public final class FrameAligner<Sample: BitwiseCopyable> {
    /// Samples per frame (all channels, interleaved).
    public let frameSize: Int
    /// Samples waiting for the next frame (always less than ``frameSize``).
    public private(set) var pendingCount = 0

    private let pending: UnsafeMutableBufferPointer<Sample>

    /// Creates an aligner that emits frames of `frameSize` samples.
    /// - Throws: ``AudioError/invalidFrameLength(_:)`` when `frameSize` is not positive.
    public init(frameSize: Int) throws(AudioError) {
        guard frameSize > 0 else { throw .invalidFrameLength(frameSize) }
        self.frameSize = frameSize
        self.pending = .allocate(capacity: frameSize)
    }

    deinit {
        pending.deallocate()
    }

    /// Adds samples and calls `onFrame` once per completed frame, in order.
    ///
    /// The buffer passed to `onFrame` is valid only during the call.
    public func append<E: Error>(
        _ input: UnsafeBufferPointer<Sample>,
        onFrame: (UnsafeBufferPointer<Sample>) throws(E) -> Void
    ) throws(E) {
        var offset = 0
        if pendingCount > 0 {
            let take = min(frameSize - pendingCount, input.count)
            for i in 0..<take { pending[pendingCount + i] = input[i] }
            pendingCount += take
            offset = take
            guard pendingCount == frameSize else { return }
            pendingCount = 0
            try onFrame(UnsafeBufferPointer(pending))
        }
        while input.count - offset >= frameSize {
            try onFrame(UnsafeBufferPointer(rebasing: input[offset..<(offset + frameSize)]))
            offset += frameSize
        }
        let rest = input.count - offset
        for i in 0..<rest { pending[i] = input[offset + i] }
        pendingCount = rest
    }

    /// Emits the pending partial frame padded with `padding` (for example silence at the end
    /// of an agent reply). Does nothing when no samples are pending.
    public func flush<E: Error>(
        padding: Sample,
        onFrame: (UnsafeBufferPointer<Sample>) throws(E) -> Void
    ) throws(E) {
        guard pendingCount > 0 else { return }
        for i in pendingCount..<frameSize { pending[i] = padding }
        pendingCount = 0
        try onFrame(UnsafeBufferPointer(pending))
    }

    /// Drops pending samples (for example on barge-in).
    public func reset() {
        pendingCount = 0
    }
}
