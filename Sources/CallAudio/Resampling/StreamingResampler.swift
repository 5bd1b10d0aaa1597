import CSoxr

/// A streaming sample-rate converter over libsoxr, one instance per audio stream.
///
/// Feed it chunks of any size with ``process(_:into:)``; it returns what libsoxr has ready,
/// holding back a little audio for its filter. Call ``flush(into:)`` at the end of an
/// utterance to drain the tail, and ``reset()`` to reuse it for a new stream.
/// Sample rates from 1 Hz to 384 kHz are accepted; the telephony rates (8, 16, 22.05,
/// 24, 44.1, 48 kHz) are the tested ones.
///
/// The buffer API never allocates: libsoxr's state is created once in `init`.
/// The instance is not `Sendable`: it belongs to the task that owns the stream.
public final class StreamingResampler<Sample: ResamplerSample> {
    /// Input rate in Hz.
    public let inputRate: Double
    /// Output rate in Hz.
    public let outputRate: Double
    /// Interleaved channels.
    public let channels: Int
    /// The quality configuration in use.
    public let quality: ResamplerQuality

    private var handle: soxr_t?

    /// Creates a resampler. `quality` defaults to ``ResamplerQuality/telephony(from:to:)``,
    /// the lowest-latency configuration measured for the rate pair.
    /// - Throws: ``AudioError/unsupportedSampleRate(_:)``, ``AudioError/unsupportedChannelCount(_:)``
    ///   or ``AudioError/resampler(_:)`` when libsoxr refuses the configuration.
    public init(
        from inputRate: Double,
        to outputRate: Double,
        channels: Int = 1,
        quality: ResamplerQuality? = nil
    ) throws(AudioError) {
        for rate in [inputRate, outputRate] where !(rate >= 1 && rate <= 384_000) {
            throw .unsupportedSampleRate(rate)
        }
        guard (1...8).contains(channels) else { throw .unsupportedChannelCount(channels) }
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.channels = channels
        let quality = quality ?? .telephony(from: inputRate, to: outputRate)
        self.quality = quality
        self.handle = try Self.makeHandle(inputRate, outputRate, channels, quality)
    }

    deinit {
        if let handle { soxr_delete(handle) }
    }

    /// Output samples per channel libsoxr currently holds back (its `soxr_delay`).
    public var delay: Double {
        guard let handle else { return 0 }
        return soxr_delay(handle)
    }

    /// Output per channel that input of `inputCount` samples per channel can produce, with
    /// enough headroom for audio held back from earlier calls. Size output buffers with it.
    public func maximumOutputCount(forInputCount inputCount: Int) -> Int {
        let ratio = outputRate / inputRate
        return Int((Double(inputCount) * ratio).rounded(.up)) + Int((delay + 1).rounded(.up)) + 64
    }

    /// Resamples `input` (interleaved) into `output`, returning the number of samples written
    /// (total over all channels). Consumes all input. Does not allocate.
    /// - Throws: ``AudioError/invalidFrameLength(_:)`` when input is not whole sample frames,
    ///   ``AudioError/outputBufferTooSmall(required:available:)`` when `output` fills up before
    ///   the input is consumed, ``AudioError/resampler(_:)`` on a libsoxr failure.
    @discardableResult
    public func process(
        _ input: UnsafeBufferPointer<Sample>,
        into output: UnsafeMutableBufferPointer<Sample>
    ) throws(AudioError) -> Int {
        guard input.count % channels == 0 else { throw .invalidFrameLength(input.count) }
        return try run(input: input, output: output)
    }

    /// Drains what the filter still holds (the end of an utterance or stream) into `output`,
    /// returning samples written. When `output` fills up, the rest stays queued: call again
    /// until a call writes less than `output.count`. Once drained, the resampler starts a
    /// new stream.
    @discardableResult
    public func flush(into output: UnsafeMutableBufferPointer<Sample>) throws(AudioError) -> Int {
        let written = try run(input: nil, output: output)
        if written < output.count / channels * channels {
            try reset()
        }
        return written
    }

    /// Forgets all buffered audio so the instance can start a new stream.
    ///
    /// Creates fresh libsoxr state (libsoxr's own `soxr_clear` is not reliable after an
    /// interrupted call), so this allocates: call it per utterance or reply, not per frame.
    public func reset() throws(AudioError) {
        if let handle { soxr_delete(handle) }
        handle = nil
        handle = try Self.makeHandle(inputRate, outputRate, channels, quality)
    }

    /// Resamples an array (convenience; allocates the result).
    public func process(_ input: [Sample]) throws(AudioError) -> [Sample] {
        var output = [Sample](repeating: .silence, count: maximumOutputCount(forInputCount: input.count / channels) * channels)
        let written = try input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                Result { () throws(AudioError) in try process(inBuffer, into: outBuffer) }
            }
        }.get()
        output.removeSubrange(written...)
        return output
    }

    /// Drains the filter into a new array (convenience; allocates).
    public func flush() throws(AudioError) -> [Sample] {
        var result: [Sample] = []
        var block = [Sample](repeating: .silence, count: 4096 * channels)
        while true {
            let written = try block.withUnsafeMutableBufferPointer { outBuffer in
                Result { () throws(AudioError) in try run(input: nil, output: outBuffer) }
            }.get()
            result += block[0..<written]
            if written < block.count { break }
        }
        try reset()
        return result
    }

    /// Resamples a whole signal at once (input, then flush).
    public static func resample(
        _ input: [Sample],
        from inputRate: Double,
        to outputRate: Double,
        channels: Int = 1,
        quality: ResamplerQuality? = nil
    ) throws(AudioError) -> [Sample] {
        let resampler = try StreamingResampler(from: inputRate, to: outputRate, channels: channels, quality: quality)
        return try resampler.process(input) + resampler.flush()
    }

    // MARK: libsoxr

    private func run(input: UnsafeBufferPointer<Sample>?, output: UnsafeMutableBufferPointer<Sample>) throws(AudioError) -> Int {
        guard let handle else { throw .resampler("resampler has no libsoxr state") }
        let inFrames = (input?.count ?? 0) / channels
        let outCapacity = output.count / channels
        var consumed = 0
        var produced = 0
        let stride = MemoryLayout<Sample>.stride * channels
        let inBase = input.flatMap { UnsafeRawPointer($0.baseAddress) }
        guard let outBase = UnsafeMutableRawPointer(output.baseAddress) else {
            if inFrames == 0 && input != nil { return 0 }
            throw .outputBufferTooSmall(required: maximumOutputCount(forInputCount: inFrames) * channels, available: 0)
        }
        if input == nil {
            // End of stream: drain until libsoxr has nothing more to give or output is full.
            while produced < outCapacity {
                var outDone = 0
                let message = soxr_process(handle, nil, 0, nil, outBase + produced * stride, outCapacity - produced, &outDone)
                if let message { throw .resampler(String(cString: message)) }
                produced += outDone
                if outDone == 0 { break }
            }
            return produced * channels
        }
        repeat {
            var inDone = 0
            var outDone = 0
            let message = soxr_process(
                handle,
                inBase.map { $0 + consumed * stride }, inFrames - consumed, &inDone,
                outBase + produced * stride, outCapacity - produced, &outDone
            )
            if let message { throw .resampler(String(cString: message)) }
            consumed += inDone
            produced += outDone
            if consumed < inFrames && produced == outCapacity {
                throw .outputBufferTooSmall(required: maximumOutputCount(forInputCount: inFrames) * channels, available: output.count)
            }
            if inDone == 0 && outDone == 0 { break }
        } while consumed < inFrames
        return produced * channels
    }

    private static func makeHandle(
        _ inputRate: Double,
        _ outputRate: Double,
        _ channels: Int,
        _ quality: ResamplerQuality
    ) throws(AudioError) -> soxr_t? {
        let datatype = Sample.resamplerKind == .int16 ? SOXR_INT16_I : SOXR_FLOAT32_I
        var io = soxr_io_spec(datatype, datatype)
        if Sample.resamplerKind == .int16 {
            // Deterministic output: no TPDF dither on the Int16 path.
            io.flags = UInt(SOXR_NO_DITHER)
        }
        var spec = soxr_quality_spec(quality.recipe.soxrRecipe, quality.phase.soxrFlag)
        var runtime = soxr_runtime_spec(1)
        if let log2 = quality.minimumDFTSizeLog2 {
            runtime.log2_min_dft_size = UInt32(log2)
        }
        var error: soxr_error_t?
        let handle = soxr_create(inputRate, outputRate, UInt32(channels), &error, &io, &spec, &runtime)
        if let error {
            if let handle { soxr_delete(handle) }
            throw .resampler(String(cString: error))
        }
        return handle
    }
}
