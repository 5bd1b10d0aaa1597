import Benchmark
import CallAudio
import Foundation

/// 60 s of 8 kHz audio: a speech-band chirp with noise, so table lookups see varied input.
let sixtySeconds: [Int16] = (0..<480_000).map { i in
    let t = Double(i) / 8000
    return Int16(9000 * sin(2 * .pi * (300 + 40 * t) * t) + Double((i &* 7919) % 2001 - 1000))
}
let sixtySecondsMuLaw = MuLaw.encode(sixtySeconds)
let sixtySecondsALaw = ALaw.encode(sixtySeconds)

let codecMetrics: [BenchmarkMetric] = [.cpuTotal, .wallClock, .mallocCountTotal]
let frameMetrics: [BenchmarkMetric] = [.cpuTotal, .wallClock, .mallocCountTotal, .throughput]

/// Runs `chunks` 20 ms chunks through a resampler per benchmark iteration.
func resampleBenchmark(_ name: String, from a: Double, to b: Double, quality: ResamplerQuality?) {
    let chunk = Int(a / 50)
    Benchmark(
        "Resample 20 ms chunk \(name)",
        configuration: .init(metrics: frameMetrics, scalingFactor: .kilo, maxDuration: .seconds(2))
    ) { benchmark in
        let resampler = try StreamingResampler<Int16>(from: a, to: b, quality: quality)
        let input = (0..<chunk).map { Int16(6000 * sin(Double($0) * 0.05)) }
        var output = [Int16](repeating: 0, count: resampler.maximumOutputCount(forInputCount: chunk))
        try input.withUnsafeBufferPointer { inBuffer in
            try output.withUnsafeMutableBufferPointer { outBuffer in
                for _ in 0..<50 { try resampler.process(inBuffer, into: outBuffer) }  // reach steady state
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(try resampler.process(inBuffer, into: outBuffer))
                }
                benchmark.stopMeasurement()
            }
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxIterations = 10_000
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)

    Benchmark("mu-law decode 60 s (480,000 samples)", configuration: .init(metrics: codecMetrics)) { benchmark in
        var output = [Int16](repeating: 0, count: sixtySecondsMuLaw.count)
        try sixtySecondsMuLaw.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { out in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations { blackHole(try MuLaw.decode(input, into: out)) }
                benchmark.stopMeasurement()
            }
        }
        blackHole(output)
    }
    Benchmark("mu-law encode 60 s (480,000 samples)", configuration: .init(metrics: codecMetrics)) { benchmark in
        var output = [UInt8](repeating: 0, count: sixtySeconds.count)
        try sixtySeconds.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { out in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations { blackHole(try MuLaw.encode(input, into: out)) }
                benchmark.stopMeasurement()
            }
        }
        blackHole(output)
    }
    Benchmark("A-law decode 60 s (480,000 samples)", configuration: .init(metrics: codecMetrics)) { benchmark in
        var output = [Int16](repeating: 0, count: sixtySecondsALaw.count)
        try sixtySecondsALaw.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { out in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations { blackHole(try ALaw.decode(input, into: out)) }
                benchmark.stopMeasurement()
            }
        }
        blackHole(output)
    }
    Benchmark("A-law encode 60 s (480,000 samples)", configuration: .init(metrics: codecMetrics)) { benchmark in
        var output = [UInt8](repeating: 0, count: sixtySeconds.count)
        try sixtySeconds.withUnsafeBufferPointer { input in
            try output.withUnsafeMutableBufferPointer { out in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations { blackHole(try ALaw.encode(input, into: out)) }
                benchmark.stopMeasurement()
            }
        }
        blackHole(output)
    }

    resampleBenchmark("8k->16k HQ", from: 8000, to: 16000, quality: .high)
    resampleBenchmark("24k->8k HQ", from: 24000, to: 8000, quality: .high)
    resampleBenchmark("8k->16k telephony default", from: 8000, to: 16000, quality: nil)
    resampleBenchmark("24k->8k telephony default", from: 24000, to: 8000, quality: nil)

    Benchmark(
        "Inbound frame: 160 B mu-law -> 16 kHz PCM16 frame",
        configuration: .init(metrics: frameMetrics, scalingFactor: .kilo)
    ) { benchmark in
        let converter = try InboundAudioConverter(outputRate: 16000)
        let frame = Array(sixtySecondsMuLaw[0..<160])
        var sink = 0
        try frame.withUnsafeBufferPointer { input in
            for _ in 0..<50 { try converter.process(input) { sink &+= Int($0[0]) } }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                try converter.process(input) { sink &+= Int($0[0]) }
            }
            benchmark.stopMeasurement()
        }
        blackHole(sink)
    }

    Benchmark(
        "Inbound frame: 160 B mu-law -> 8 kHz PCM16 frame",
        configuration: .init(metrics: frameMetrics, scalingFactor: .kilo)
    ) { benchmark in
        let converter = try InboundAudioConverter(outputRate: 8000)
        let frame = Array(sixtySecondsMuLaw[0..<160])
        var sink = 0
        try frame.withUnsafeBufferPointer { input in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                try converter.process(input) { sink &+= Int($0[0]) }
            }
            benchmark.stopMeasurement()
        }
        blackHole(sink)
    }

    Benchmark(
        "Outbound frame: 20 ms of 24 kHz PCM16 bytes -> 160 B mu-law frame",
        configuration: .init(metrics: frameMetrics, scalingFactor: .kilo)
    ) { benchmark in
        let converter = try OutboundAudioConverter(inputRate: 24000)
        let bytes = PCM16.littleEndianBytes((0..<480).map { Int16(6000 * sin(Double($0) * 0.1)) })
        var sink = 0
        try bytes.withUnsafeBytes { input in
            for _ in 0..<50 { try converter.process(pcm16LittleEndian: input) { sink &+= Int($0[0]) } }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                try converter.process(pcm16LittleEndian: input) { sink &+= Int($0[0]) }
            }
            benchmark.stopMeasurement()
        }
        blackHole(sink)
    }
}
