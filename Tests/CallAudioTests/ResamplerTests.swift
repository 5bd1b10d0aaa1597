import Foundation
import Testing

@testable import CallAudio

@Suite("Streaming resampler (libsoxr)")
struct ResamplerTests {
    static let rates: [Double] = [8000, 16000, 22050, 24000, 44100, 48000]

    /// Feeds `input` in 20 ms chunks and returns output plus the most audio held back (ms).
    static func streamed(_ input: [Int16], from a: Double, to b: Double, quality: ResamplerQuality? = nil) throws -> (output: [Int16], heldBackMs: Double) {
        let resampler = try StreamingResampler<Int16>(from: a, to: b, quality: quality)
        let chunk = Int(a * 0.02)
        var output: [Int16] = []
        var worst = 0.0
        var fed = 0
        while fed < input.count {
            let next = min(fed + chunk, input.count)
            output += try resampler.process(Array(input[fed..<next]))
            fed = next
            worst = max(worst, (Double(fed) / a - Double(output.count) / b) * 1000)
        }
        output += try resampler.flush()
        return (output, worst)
    }

    @Test("1 kHz keeps frequency (±1 Hz) and level (±0.5 dB) through 8k->16k->8k")
    func roundTrip8k16k() throws {
        let input = Signal.tone(frequency: 1000, rate: 8000, seconds: 1)
        let up = try Self.streamed(input, from: 8000, to: 16000).output
        #expect(abs(Signal.frequency(Signal.middle(up, rate: 16000), rate: 16000) - 1000) < 1)
        let down = try Self.streamed(up, from: 16000, to: 8000).output
        let middle = Signal.middle(down, rate: 8000)
        #expect(abs(Signal.frequency(middle, rate: 8000) - 1000) < 1)
        #expect(abs(Signal.rmsDB(middle) - Signal.rmsDB(Signal.middle(input, rate: 8000))) < 0.5)
        #expect(abs(down.count - input.count) <= 2)
    }

    @Test("1 kHz keeps frequency and level through 24k->8k (the TTS path)")
    func tts24kTo8k() throws {
        let input = Signal.tone(frequency: 1000, rate: 24000, seconds: 1)
        let down = try Self.streamed(input, from: 24000, to: 8000).output
        let middle = Signal.middle(down, rate: 8000)
        #expect(abs(Signal.frequency(middle, rate: 8000) - 1000) < 1)
        #expect(abs(Signal.rmsDB(middle) - Signal.rmsDB(Signal.middle(input, rate: 24000))) < 0.5)
        #expect(abs(down.count - 8000) <= 2)
    }

    @Test("a tone above the output Nyquist is attenuated by at least 50 dB", arguments: [
        (24000.0, 8000.0, 5000.0), (16000.0, 8000.0, 6000.0), (48000.0, 8000.0, 7000.0),
        (44100.0, 16000.0, 10000.0), (22050.0, 8000.0, 4800.0),
    ])
    func antiAlias(from a: Double, to b: Double, frequency: Double) throws {
        let input = Signal.tone(frequency: frequency, rate: a, seconds: 1)
        let output = try Self.streamed(input, from: a, to: b).output
        let attenuation = Signal.rmsDB(Signal.middle(input, rate: a)) - Signal.rmsDB(Signal.middle(output, rate: b))
        #expect(attenuation >= 50, "only \(attenuation) dB")
    }

    @Test("streamed output equals one-shot output (no clicks at chunk boundaries)", arguments: [
        (8000.0, 16000.0), (24000.0, 8000.0), (16000.0, 8000.0), (8000.0, 48000.0), (44100.0, 8000.0),
    ])
    func streamedEqualsOneShot(from a: Double, to b: Double) throws {
        var generator = SeededGenerator(seed: 11)
        let input = Signal.tone(frequency: 440, rate: a, seconds: 0.7).map { $0 / 2 &+ Int16.random(in: -2000...2000, using: &generator) }
        let oneShot = try StreamingResampler<Int16>.resample(input, from: a, to: b)
        // Irregular chunk sizes, including 1-sample and empty chunks.
        let resampler = try StreamingResampler<Int16>(from: a, to: b)
        var streamed: [Int16] = []
        var fed = 0
        while fed < input.count {
            let next = min(input.count, fed + Int.random(in: 0...700, using: &generator))
            streamed += try resampler.process(Array(input[fed..<next]))
            fed = next
        }
        streamed += try resampler.flush()
        #expect(streamed == oneShot)
    }

    @Test("the telephony default holds back at most 20 ms except where libsoxr's floor is higher")
    func heldBack() throws {
        for a in Self.rates {
            for b in Self.rates where a != b {
                let input = Signal.tone(frequency: 300, rate: a, seconds: 1)
                let held = try Self.streamed(input, from: a, to: b).heldBackMs
                let highDefault = try Self.streamed(input, from: a, to: b, quality: .high).heldBackMs
                // Never worse than libsoxr's default, and far better on most pairs.
                #expect(held <= highDefault + 0.1)
                // libsoxr's floor with 20 ms chunks is 30 ms (8 kHz upsampling); see README.
                #expect(held <= 30.5, "\(Int(a))->\(Int(b)) held back \(held) ms")
            }
        }
        // The two paths every call runs with a resampler.
        let tts = try Self.streamed(Signal.tone(frequency: 300, rate: 24000, seconds: 1), from: 24000, to: 8000).heldBackMs
        let stt = try Self.streamed(Signal.tone(frequency: 300, rate: 16000, seconds: 1), from: 16000, to: 8000).heldBackMs
        #expect(tts <= 20)
        #expect(stt <= 20)
    }

    @Test("Float32 path agrees with the Int16 path")
    func float32() throws {
        let input = Signal.tone(frequency: 1000, rate: 24000, seconds: 0.5)
        let asFloat = try StreamingResampler<Float>.resample(PCM16.toFloat(input), from: 24000, to: 8000)
        let asInt = try StreamingResampler<Int16>.resample(input, from: 24000, to: 8000)
        #expect(asFloat.count == asInt.count)
        let maxDifference = zip(PCM16.fromFloat(asFloat), asInt).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(maxDifference <= 2)
    }

    @Test("buffer API: no output space is a typed error; reset starts a new stream")
    func bufferAPI() throws {
        let resampler = try StreamingResampler<Int16>(from: 8000, to: 48000)
        let input = Signal.tone(frequency: 440, rate: 8000, seconds: 0.2)
        var small = [Int16](repeating: 0, count: 10)
        let result = input.withUnsafeBufferPointer { inBuffer in
            small.withUnsafeMutableBufferPointer { outBuffer in
                Result { () throws(AudioError) in try resampler.process(inBuffer, into: outBuffer) }
            }
        }
        #expect(throws: AudioError.self) { try result.get() }
        try resampler.reset()
        let first = try resampler.process(input) + resampler.flush()
        let second = try resampler.process(input) + resampler.flush()
        #expect(first == second)
    }

    @Test("invalid configurations are typed errors")
    func invalid() {
        #expect(throws: AudioError.unsupportedSampleRate(0)) { try StreamingResampler<Int16>(from: 0, to: 8000) }
        #expect(throws: AudioError.unsupportedSampleRate(1e9)) { try StreamingResampler<Int16>(from: 8000, to: 1e9) }
        #expect(throws: AudioError.unsupportedChannelCount(0)) { try StreamingResampler<Int16>(from: 8000, to: 16000, channels: 0) }
        #expect(throws: AudioError.invalidFrameLength(3)) {
            let stereo = try StreamingResampler<Int16>(from: 8000, to: 16000, channels: 2)
            _ = try stereo.process([1, 2, 3])
        }
    }

    @Test("every pair of telephony rates yields the expected length", arguments: rates)
    func lengths(from a: Double) throws {
        for b in Self.rates where b != a {
            let output = try StreamingResampler<Int16>.resample(Signal.tone(frequency: 200, rate: a, seconds: 0.5), from: a, to: b)
            #expect(abs(Double(output.count) - b * 0.5) <= 2)
        }
    }
}
