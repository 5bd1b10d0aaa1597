import CSoxr

/// libsoxr's quality/latency trade-off for a ``StreamingResampler``.
///
/// Two things set how much audio a streaming resampler holds back: the filter's group
/// delay (set by ``recipe`` and ``phase``) and libsoxr's processing block size (set by
/// ``minimumDFTSizeLog2``). libsoxr's own default (`SOXR_HQ`, linear phase, DFT 2^10)
/// holds back up to ~115 ms when fed 20 ms chunks, too much for a phone conversation.
/// ``telephony`` is the measured low-latency configuration the conversions use by default;
/// see the README's resampler table for the numbers behind it.
public struct ResamplerQuality: Hashable, Sendable {
    /// libsoxr's filter recipes, from cheapest to most precise.
    public enum Recipe: Hashable, Sendable {
        /// Cubic interpolation, no anti-alias filter worth the name (`SOXR_QQ`).
        case quick
        /// 16-bit precision, large roll-off (`SOXR_LQ`).
        case low
        /// 16-bit precision, medium roll-off (`SOXR_MQ`).
        case medium
        /// 20-bit precision (`SOXR_HQ`), libsoxr's default.
        case high
        /// 28-bit precision (`SOXR_VHQ`).
        case veryHigh
        /// libsamplerate-compatible "fastest sinc" (`SOXR_LSR2Q`): linear phase, but a
        /// short filter that holds back the least audio on some integer ratios.
        case fastSinc

        var soxrRecipe: UInt {
            switch self {
            case .quick: UInt(SOXR_QQ)
            case .low: UInt(SOXR_LQ)
            case .medium: UInt(SOXR_MQ)
            case .high: UInt(SOXR_20_BITQ)
            case .veryHigh: UInt(SOXR_28_BITQ)
            case .fastSinc: UInt(SOXR_LSR2Q)
            }
        }
    }

    /// Filter phase response. Minimum phase moves the filter's delay to almost nothing
    /// at the cost of phase distortion that telephone speech does not care about.
    public enum Phase: Hashable, Sendable {
        /// Symmetric filter, constant group delay of half its length.
        case linear
        /// Between linear and minimum.
        case intermediate
        /// Shortest delay.
        case minimum

        var soxrFlag: UInt {
            switch self {
            case .linear: UInt(SOXR_LINEAR_PHASE)
            case .intermediate: UInt(SOXR_INTERMEDIATE_PHASE)
            case .minimum: UInt(SOXR_MINIMUM_PHASE)
            }
        }
    }

    /// Filter recipe.
    public var recipe: Recipe
    /// Phase response.
    public var phase: Phase
    /// log2 of libsoxr's minimum DFT size (8...15); smaller means smaller processing
    /// blocks and less held-back audio for a little more CPU. `nil` keeps libsoxr's 10.
    public var minimumDFTSizeLog2: Int?

    /// Creates a configuration.
    public init(recipe: Recipe, phase: Phase = .linear, minimumDFTSizeLog2: Int? = nil) {
        self.recipe = recipe
        self.phase = phase
        self.minimumDFTSizeLog2 = minimumDFTSizeLog2.map { min(15, max(8, $0)) }
    }

    /// libsoxr's default: HQ, linear phase. Best fidelity, up to ~115 ms held back.
    public static let high = ResamplerQuality(recipe: .high)
    /// Very high quality, linear phase: for offline work only.
    public static let veryHigh = ResamplerQuality(recipe: .veryHigh)
    /// HQ filter with minimum phase. Measured, fed 20 ms chunks: 15 ms held back for
    /// 16k->8k, but 25-30 ms on most other telephony pairs (libsoxr's half-band stages set
    /// that floor), and 8-17x the CPU of linear phase (about 9-30 us per 20 ms chunk).
    public static let minimumPhase = ResamplerQuality(recipe: .high, phase: .minimum, minimumDFTSizeLog2: 8)
    /// libsoxr's "fastest sinc" with 2^8 DFT blocks: as cheap as HQ (about 1.1-1.8 us per
    /// 20 ms chunk) and the least held-back audio on most telephony pairs (16.6 ms for 24k->8k).
    public static let fastSinc = ResamplerQuality(recipe: .fastSinc, minimumDFTSizeLog2: 8)
    /// Cubic interpolation: under 1 ms held back, but weak anti-aliasing. Not for downsampling.
    public static let quick = ResamplerQuality(recipe: .quick)

    /// The default for a telephony path: of ``fastSinc`` and ``minimumPhase``, the one that
    /// holds back less audio for this rate pair. Both keep tones above the output Nyquist at
    /// least 50 dB down (tested).
    ///
    /// The choice is the measured table in the README (20 ms input chunks): ``minimumPhase``
    /// only where it holds back at least 4 ms less than ``fastSinc`` (it costs far more CPU),
    /// ``fastSinc`` everywhere else, including rate pairs not in the table.
    public static func telephony(from inputRate: Double, to outputRate: Double) -> ResamplerQuality {
        minimumPhasePairs.contains(RatePair(input: Int(inputRate), output: Int(outputRate))) ? minimumPhase : fastSinc
    }

    private struct RatePair: Hashable {
        var input: Int
        var output: Int
    }

    /// Rate pairs where ``minimumPhase`` measured at least 4 ms less held-back audio.
    private static let minimumPhasePairs: Set<RatePair> = [
        RatePair(input: 16000, output: 8000), RatePair(input: 8000, output: 44100),
        RatePair(input: 44100, output: 22050), RatePair(input: 44100, output: 24000),
        RatePair(input: 48000, output: 24000),
    ]
}
