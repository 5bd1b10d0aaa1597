/// A sample type a ``StreamingResampler`` can process: `Int16` or `Float`.
public protocol ResamplerSample: BitwiseCopyable, Sendable {
    /// Which libsoxr datatype carries this sample type.
    static var resamplerKind: ResamplerSampleKind { get }
    /// The zero (silence) value.
    static var silence: Self { get }
}

/// The sample representations libsoxr is used with here.
public enum ResamplerSampleKind: Sendable {
    /// Interleaved signed 16-bit.
    case int16
    /// Interleaved 32-bit float in [-1, 1].
    case float32
}

extension Int16: ResamplerSample {
    /// Int16 samples use libsoxr's `SOXR_INT16_I`.
    public static var resamplerKind: ResamplerSampleKind { .int16 }
    /// Zero.
    public static var silence: Int16 { 0 }
}

extension Float: ResamplerSample {
    /// Float samples use libsoxr's `SOXR_FLOAT32_I`.
    public static var resamplerKind: ResamplerSampleKind { .float32 }
    /// Zero.
    public static var silence: Float { 0 }
}
