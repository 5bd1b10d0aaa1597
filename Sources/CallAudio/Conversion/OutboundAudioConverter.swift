/// The conversion every agent reply runs: streamed PCM16 little-endian bytes from TTS
/// (24 kHz for OpenAI `pcm`) to exact 20 ms G.711 frames at 8 kHz (160 bytes for Twilio).
///
/// Network chunks may split a sample between two chunks; the odd byte is carried over.
/// ``finish(onFrame:)`` drains the resampler and pads the last frame with silence;
/// ``reset()`` drops everything (barge-in). All buffers are allocated in `init`: the
/// per-chunk path does not allocate. Not `Sendable`: one converter per call.
public final class OutboundAudioConverter {
    /// Input sample rate (the TTS output rate).
    public let inputRate: Int
    /// Output frame length in bytes (one byte per G.711 sample).
    public var frameSize: Int { aligner.frameSize }

    private let encoding: AudioEncoding
    private let resampler: StreamingResampler<Int16>?
    private let aligner: FrameAligner<Int16>
    private let samples: UnsafeMutableBufferPointer<Int16>
    private let resampled: UnsafeMutableBufferPointer<Int16>
    private let codes: UnsafeMutableBufferPointer<UInt8>
    private var carry: UInt8?
    private static let blockSamples = 2048

    /// Creates a converter from `inputRate` Hz PCM16 to 8 kHz G.711 frames of `frameMilliseconds`.
    public init(inputRate: Int = 24000, frameMilliseconds: Int = 20, encoding: AudioEncoding = .muLaw) throws(AudioError) {
        guard encoding != .pcm16 else { throw .invalidFrameLength(0) }
        let frameSize = 8 * frameMilliseconds
        guard frameSize > 0 else { throw .invalidFrameLength(frameSize) }
        self.inputRate = inputRate
        self.encoding = encoding
        self.aligner = try FrameAligner(frameSize: frameSize)
        if inputRate != 8000 {
            let resampler = try StreamingResampler<Int16>(from: Double(inputRate), to: 8000)
            self.resampler = resampler
            self.resampled = .allocate(capacity: resampler.maximumOutputCount(forInputCount: Self.blockSamples) * 2)
        } else {
            self.resampler = nil
            self.resampled = .allocate(capacity: 0)
        }
        self.samples = .allocate(capacity: Self.blockSamples)
        self.codes = .allocate(capacity: frameSize)
    }

    deinit {
        samples.deallocate()
        resampled.deallocate()
        codes.deallocate()
    }

    /// Converts a chunk of PCM16 little-endian bytes of any length, calling `onFrame` with
    /// each completed G.711 frame. The frame buffer is valid only during the call.
    public func process(
        pcm16LittleEndian bytes: UnsafeRawBufferPointer,
        onFrame: (UnsafeBufferPointer<UInt8>) throws(AudioError) -> Void
    ) throws(AudioError) {
        var offset = 0
        if let low = carry, bytes.count > 0 {
            let value = UInt16(low) | UInt16(bytes[0]) << 8
            samples[0] = Int16(bitPattern: value)
            carry = nil
            offset = 1
            try emit(count: 1, onFrame: onFrame)
        }
        while bytes.count - offset >= 2 {
            let n = min(Self.blockSamples, (bytes.count - offset) / 2)
            try PCM16.decodeLittleEndian(
                UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 2 * n)]),
                into: samples
            )
            try emit(count: n, onFrame: onFrame)
            offset += 2 * n
        }
        if offset < bytes.count { carry = bytes[offset] }
    }

    /// Converts PCM16 samples already in memory (for example a cached phrase).
    public func process(
        pcm16 input: UnsafeBufferPointer<Int16>,
        onFrame: (UnsafeBufferPointer<UInt8>) throws(AudioError) -> Void
    ) throws(AudioError) {
        var offset = 0
        while offset < input.count {
            let n = min(Self.blockSamples, input.count - offset)
            for i in 0..<n { samples[i] = input[offset + i] }
            try emit(count: n, onFrame: onFrame)
            offset += n
        }
    }

    /// Ends the reply: drains the resampler and emits the last frame padded with silence.
    /// The converter is then ready for the next reply. A dangling odd byte is dropped.
    public func finish(onFrame: (UnsafeBufferPointer<UInt8>) throws(AudioError) -> Void) throws(AudioError) {
        carry = nil
        if let resampler {
            var n = resampled.count
            while n == resampled.count {
                n = try resampler.flush(into: resampled)
                try frame(UnsafeBufferPointer(rebasing: resampled[0..<n]), onFrame: onFrame)
            }
        }
        try aligner.flush(padding: 0) { (pcm: UnsafeBufferPointer<Int16>) throws(AudioError) in
            try encodeAndEmit(pcm, onFrame: onFrame)
        }
    }

    /// Drops all buffered audio (barge-in): nothing of the current reply is emitted later.
    public func reset() throws(AudioError) {
        carry = nil
        try resampler?.reset()
        aligner.reset()
    }

    private func emit(count: Int, onFrame: (UnsafeBufferPointer<UInt8>) throws(AudioError) -> Void) throws(AudioError) {
        let input = UnsafeBufferPointer(rebasing: samples[0..<count])
        guard let resampler else {
            try frame(input, onFrame: onFrame)
            return
        }
        let n = try resampler.process(input, into: resampled)
        try frame(UnsafeBufferPointer(rebasing: resampled[0..<n]), onFrame: onFrame)
    }

    private func frame(_ pcm: UnsafeBufferPointer<Int16>, onFrame: (UnsafeBufferPointer<UInt8>) throws(AudioError) -> Void) throws(AudioError) {
        try aligner.append(pcm) { (frame: UnsafeBufferPointer<Int16>) throws(AudioError) in
            try encodeAndEmit(frame, onFrame: onFrame)
        }
    }

    private func encodeAndEmit(
        _ frame: UnsafeBufferPointer<Int16>,
        onFrame: (UnsafeBufferPointer<UInt8>) throws(AudioError) -> Void
    ) throws(AudioError) {
        if encoding == .aLaw {
            try ALaw.encode(frame, into: codes)
        } else {
            try MuLaw.encode(frame, into: codes)
        }
        try onFrame(UnsafeBufferPointer(codes))
    }
}
