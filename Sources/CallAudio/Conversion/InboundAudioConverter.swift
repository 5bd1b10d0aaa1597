/// The conversion every call runs on the caller's audio: G.711 mu-law 8 kHz (as Twilio
/// sends it) to linear PCM16 at the rate VAD and STT want, in exact frames.
///
/// At 8 kHz output it only decodes (nothing held back). At other rates it resamples with
/// ``ResamplerQuality/telephony(from:to:)``. Input chunks may have any length; output comes
/// in frames of `frameMilliseconds`. All buffers are allocated in `init`: the per-frame
/// path does not allocate. Not `Sendable`: one converter per call.
public final class InboundAudioConverter {
    /// Output sample rate.
    public let outputRate: Int
    /// Output frame length in samples.
    public var frameSize: Int { aligner.frameSize }

    private let encoding: AudioEncoding
    private let resampler: StreamingResampler<Int16>?
    private let aligner: FrameAligner<Int16>
    private let decoded: UnsafeMutableBufferPointer<Int16>
    private let resampled: UnsafeMutableBufferPointer<Int16>
    private static let blockSize = 1024

    /// Creates a converter producing `outputRate` Hz frames of `frameMilliseconds`.
    /// The input encoding is mu-law by default; A-law carriers pass `encoding: .aLaw`.
    public init(outputRate: Int = 8000, frameMilliseconds: Int = 20, encoding: AudioEncoding = .muLaw) throws(AudioError) {
        guard encoding != .pcm16 else { throw .invalidFrameLength(0) }
        self.outputRate = outputRate
        self.encoding = encoding
        let frameSize = outputRate * frameMilliseconds / 1000
        guard frameSize > 0, outputRate * frameMilliseconds % 1000 == 0 else { throw .invalidFrameLength(frameSize) }
        self.aligner = try FrameAligner(frameSize: frameSize)
        if outputRate != 8000 {
            let resampler = try StreamingResampler<Int16>(from: 8000, to: Double(outputRate))
            self.resampler = resampler
            self.resampled = .allocate(capacity: resampler.maximumOutputCount(forInputCount: Self.blockSize) * 2)
        } else {
            self.resampler = nil
            self.resampled = .allocate(capacity: 0)
        }
        self.decoded = .allocate(capacity: Self.blockSize)
    }

    deinit {
        decoded.deallocate()
        resampled.deallocate()
    }

    /// Converts one chunk of G.711 bytes and calls `onFrame` for each completed PCM16 frame.
    public func process(
        _ codes: UnsafeBufferPointer<UInt8>,
        onFrame: (UnsafeBufferPointer<Int16>) throws(AudioError) -> Void
    ) throws(AudioError) {
        var offset = 0
        while offset < codes.count {
            let n = min(Self.blockSize, codes.count - offset)
            let block = UnsafeBufferPointer(rebasing: codes[offset..<(offset + n)])
            let out = UnsafeMutableBufferPointer(rebasing: decoded[0..<n])
            if encoding == .muLaw {
                try MuLaw.decode(block, into: out)
            } else {
                try ALaw.decode(block, into: out)
            }
            try emit(UnsafeBufferPointer(out), onFrame: onFrame)
            offset += n
        }
    }

    /// Drains the resampler and emits the last partial frame padded with silence.
    public func flush(onFrame: (UnsafeBufferPointer<Int16>) throws(AudioError) -> Void) throws(AudioError) {
        if let resampler {
            var n = resampled.count
            while n == resampled.count {
                n = try resampler.flush(into: resampled)
                try aligner.append(UnsafeBufferPointer(rebasing: resampled[0..<n]), onFrame: onFrame)
            }
        }
        try aligner.flush(padding: 0, onFrame: onFrame)
    }

    /// Forgets buffered audio.
    public func reset() throws(AudioError) {
        try resampler?.reset()
        aligner.reset()
    }

    private func emit(
        _ pcm: UnsafeBufferPointer<Int16>,
        onFrame: (UnsafeBufferPointer<Int16>) throws(AudioError) -> Void
    ) throws(AudioError) {
        guard let resampler else {
            try aligner.append(pcm, onFrame: onFrame)
            return
        }
        let n = try resampler.process(pcm, into: resampled)
        try aligner.append(UnsafeBufferPointer(rebasing: resampled[0..<n]), onFrame: onFrame)
    }
}
