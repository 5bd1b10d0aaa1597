import Foundation

/// Test-side signal helpers: tone generation and measurement.
enum Signal {
    static func tone(frequency: Double, rate: Double, seconds: Double, amplitude: Double = 0.5) -> [Int16] {
        (0..<Int(rate * seconds)).map { Int16((amplitude * 32767 * sin(2 * .pi * frequency * Double($0) / rate)).rounded()) }
    }

    /// Frequency from linearly interpolated upward zero crossings.
    static func frequency(_ samples: ArraySlice<Int16>, rate: Double) -> Double {
        var crossings: [Double] = []
        var index = samples.startIndex + 1
        while index < samples.endIndex {
            let a = Double(samples[index - 1]), b = Double(samples[index])
            if a < 0 && b >= 0 {
                crossings.append(Double(index - 1) + (-a) / (b - a))
            }
            index += 1
        }
        guard let first = crossings.first, let last = crossings.last, crossings.count > 1 else { return 0 }
        return Double(crossings.count - 1) / ((last - first) / rate)
    }

    static func rmsDB(_ samples: ArraySlice<Int16>) -> Double {
        let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        return 10 * log10(max(sum / Double(max(samples.count, 1)), 1e-12))
    }

    /// The steady middle of a signal, skipping filter start-up and tail.
    static func middle(_ samples: [Int16], rate: Double) -> ArraySlice<Int16> {
        let skip = Int(rate * 0.1)
        return samples[skip..<(samples.count - skip)]
    }
}
