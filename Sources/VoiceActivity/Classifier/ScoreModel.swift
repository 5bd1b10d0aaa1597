import Foundation

/// The fixed linear model that turns frame features into a speech score (a log-odds).
///
/// The weights come from one logistic regression over the pooled development set
/// (shared/vad-dev, all 96 files together, never per file or per condition; 20 ms frames;
/// label 1 = ground-truth speech whose clean track is at least -42 dBFS, label 0 = outside
/// speech). The hysteresis was then chosen on the same pooled set (mu-law input). Results
/// are checked on a held-out set generated with other sentences, voices, babble text and
/// noise slices. `l` is `log(1 + mean per-band likelihood ratio)`, `snr` the in-band SNR
/// in dB / 10 (clamped to -1...4).
enum ScoreModel {
    /// Score above which a frame starts counting as speech (sensitivity 0.5).
    static let threshold: Float = 0
    /// A frame already in speech stays speech down to `threshold - hysteresis`.
    static let hysteresis: Float = 0.4
    /// Threshold change from sensitivity 0 to 1.
    static let sensitivitySpan: Float = 2

    @inline(__always)
    static func score(
        likelihood: Float, snrDB: Float, activeShare: Float, periodicity: Float, periodicityBaseline: Float, belowPeakDB: Float
    ) -> Float {
        let l = logf(1 + likelihood)
        let snr = min(max(snrDB, -10), 40) / 10
        return -0.421 * l + 1.353 * snr - 6.401 * periodicity + 4.143 * activeShare
            - 0.1738 * max(belowPeakDB - 15, 0) + 11.842 * (periodicity - periodicityBaseline) + 0.789
    }
}
