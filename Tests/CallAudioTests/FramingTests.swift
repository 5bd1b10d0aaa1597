import Foundation
import Testing

@testable import CallAudio

@Suite("Frame aligner and the per-call conversions")
struct FramingTests {
    @Test("random chunk sizes come out as exact frames with the same content")
    func aligner() throws {
        var generator = SeededGenerator(seed: 5)
        let input = (0..<10_000).map { Int16(truncatingIfNeeded: $0) }
        let aligner = try FrameAligner<Int16>(frameSize: 160)
        var frames: [[Int16]] = []
        var fed = 0
        while fed < input.count {
            let next = min(input.count, fed + Int.random(in: 0...500, using: &generator))
            input[fed..<next].withUnsafeBufferPointer { chunk in
                aligner.append(chunk) { frames.append(Array($0)) }
            }
            fed = next
        }
        #expect(frames.allSatisfy { $0.count == 160 })
        #expect(frames.count == 62)
        #expect(aligner.pendingCount == 10_000 - 62 * 160)
        aligner.flush(padding: -1) { frames.append(Array($0)) }
        #expect(frames.count == 63)
        #expect(Array(frames.joined().prefix(10_000)) == input)
        #expect(frames[62].suffix(160 - 80).allSatisfy { $0 == -1 })
        #expect(throws: AudioError.invalidFrameLength(0)) { try FrameAligner<Int16>(frameSize: 0) }
    }

    @Test("inbound: Twilio mu-law frames -> 16 kHz PCM frames of 320 samples, tone preserved")
    func inbound() throws {
        let converter = try InboundAudioConverter(outputRate: 16000)
        let codes = MuLaw.encode(Signal.tone(frequency: 1000, rate: 8000, seconds: 1))
        var output: [Int16] = []
        var frameSizes = Set<Int>()
        for start in stride(from: 0, to: codes.count, by: 160) {
            try codes[start..<(start + 160)].withUnsafeBufferPointer { frame in
                try converter.process(frame) { frameSizes.insert($0.count); output += $0 }
            }
        }
        try converter.flush { frameSizes.insert($0.count); output += $0 }
        #expect(frameSizes == [320])
        #expect(abs(output.count - 16000) <= 320)
        #expect(abs(Signal.frequency(Signal.middle(output, rate: 16000), rate: 16000) - 1000) < 1)
    }

    @Test("inbound at 8 kHz only decodes: bit-exact, nothing held back")
    func inbound8k() throws {
        let converter = try InboundAudioConverter()
        let codes = (0..<480).map { UInt8($0 % 256) }
        var output: [Int16] = []
        try codes.withUnsafeBufferPointer { try converter.process($0) { output += $0 } }
        #expect(output == MuLaw.decode(codes))
    }

    @Test("outbound: 24 kHz TTS bytes split at odd offsets -> identical 160-byte mu-law frames")
    func outbound() throws {
        let pcm = Signal.tone(frequency: 1000, rate: 24000, seconds: 1)
        let bytes = PCM16.littleEndianBytes(pcm)
        func run(chunks: [Int]) throws -> [[UInt8]] {
            let converter = try OutboundAudioConverter()
            var frames: [[UInt8]] = []
            var offset = 0
            for size in chunks where offset < bytes.count {
                let end = min(bytes.count, offset + size)
                try bytes[offset..<end].withUnsafeBytes { raw in
                    try converter.process(pcm16LittleEndian: raw) { frames.append(Array($0)) }
                }
                offset = end
            }
            try converter.finish { frames.append(Array($0)) }
            return frames
        }
        var generator = SeededGenerator(seed: 9)
        let whole = try run(chunks: [bytes.count])
        let odd = try run(chunks: (0..<2000).map { _ in Int.random(in: 1...301, using: &generator) | 1 })
        #expect(whole == odd)
        #expect(whole.allSatisfy { $0.count == 160 })
        #expect(whole.count == 50 || whole.count == 51)
        let decoded = Array(whole.joined()).map(MuLaw.decode)
        #expect(abs(Signal.frequency(Signal.middle(decoded, rate: 8000), rate: 8000) - 1000) < 1)
    }

    @Test("outbound reset drops the rest of a reply (barge-in)")
    func outboundReset() throws {
        let converter = try OutboundAudioConverter()
        let bytes = PCM16.littleEndianBytes(Signal.tone(frequency: 500, rate: 24000, seconds: 0.1))
        var frames = 0
        try bytes.withUnsafeBytes { try converter.process(pcm16LittleEndian: $0) { _ in frames += 1 } }
        try converter.reset()
        var after = 0
        try converter.finish { _ in after += 1 }
        #expect(frames >= 3)
        #expect(after == 0)
    }
}
