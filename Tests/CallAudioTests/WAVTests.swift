import Foundation
import Testing

@testable import CallAudio

@Suite("WAV")
struct WAVTests {
    /// protocols.md §6.1: Python `wave`, 8 kHz, 8 samples.
    static let pcmExample = hexBytes("""
        52494646 34000000 57415645 666d7420 10000000 0100 0100 401f0000 803e0000 0200 1000 64617461 10000000
        0000 e803 18fc 401f c0e0 ff7f 0080 0000
        """)
    /// protocols.md §6.2: SoX mu-law layout.
    static let muLawExample = hexBytes("""
        52494646 3a000000 57415645 666d7420 12000000 0700 0100 401f0000 401f0000 0100 0800 0000
        66616374 04000000 08000000 64617461 08000000 ffce4ea0208000ff
        """)

    @Test("writes the canonical PCM16 header byte for byte")
    func writesPCM() throws {
        let samples: [Int16] = [0, 1000, -1000, 8000, -8000, 32767, -32768, 0]
        #expect(try WAVFile.serialize(pcm16: samples, sampleRate: 8000) == Self.pcmExample)
    }

    @Test("writes the SoX mu-law layout byte for byte")
    func writesMuLaw() throws {
        let file = try WAVFile(format: .telephony, data: hexBytes("ffce4ea0208000ff"))
        #expect(file.serialized() == Self.muLawExample)
    }

    @Test("reads PCM and mu-law files")
    func reads() throws {
        let pcm = try WAVFile(parsing: Self.pcmExample)
        #expect(pcm.format == .pcm8k)
        #expect(pcm.pcm16Samples() == [0, 1000, -1000, 8000, -8000, 32767, -32768, 0])
        let mu = try WAVFile(parsing: Self.muLawExample)
        #expect(mu.format == .telephony)
        #expect(mu.frameCount == 8)
        #expect(mu.pcm16Samples() == [0, 988, -988, 7932, -7932, 32124, -32124, 0])
    }

    @Test("round trips A-law stereo at an odd rate")
    func aLawStereo() throws {
        let format = AudioFormat(encoding: .aLaw, sampleRate: 11025, channels: 2)
        let file = try WAVFile(format: format, data: [0xD5, 0x55, 0xFA, 0x7A])
        let parsed = try WAVFile(parsing: file.serialized())
        #expect(parsed == file)
        #expect(parsed.pcm16Samples() == [8, -8, 1008, -1008])
    }

    @Test("down-mixes to mono by averaging each frame's channels, without overflow")
    func monoDownmix() throws {
        let stereo = try WAVFile(pcm16: [1000, 3000, -2000, -4001, 32767, 32767, -32768, -32768, 32767, -32768], sampleRate: 16000, channels: 2)
        #expect(stereo.monoPCM16Samples() == [2000, -3000, 32767, -32768, 0])
        let mono = try WAVFile(pcm16: [5, -5, 7], sampleRate: 8000)
        #expect(mono.monoPCM16Samples() == mono.pcm16Samples())
        // G.711 stereo is decoded first: A-law 0xD5 / 0x55 decode to 8 / -8.
        let aLaw = try WAVFile(format: AudioFormat(encoding: .aLaw, sampleRate: 8000, channels: 2), data: [0xD5, 0x55, 0xD5, 0xD5])
        #expect(aLaw.monoPCM16Samples() == [0, 8])
    }

    @Test("skips unknown chunks, including odd-sized ones with a pad byte")
    func skipsUnknown() throws {
        var bytes = Array(Self.pcmExample[0..<36])
        bytes += Array("LIST".utf8) + [3, 0, 0, 0] + [1, 2, 3, 0]  // odd size + pad
        bytes += Array("junk".utf8) + [0, 0, 0, 0]
        bytes += Array(Self.pcmExample[36...])
        let file = try WAVFile(parsing: bytes)
        #expect(file.pcm16Samples().count == 8)
    }

    @Test("reads WAVE_FORMAT_EXTENSIBLE with a PCM sub-format")
    func extensible() throws {
        var bytes = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WAVEfmt ".utf8) + [40, 0, 0, 0]
        bytes += [0xFE, 0xFF, 1, 0, 0x80, 0x3E, 0, 0, 0, 0x7D, 0, 0, 2, 0, 16, 0]  // 16 kHz mono
        bytes += [22, 0, 16, 0, 4, 0, 0, 0, 1, 0] + [UInt8](repeating: 0, count: 14)
        bytes += Array("data".utf8) + [4, 0, 0, 0, 1, 0, 2, 0]
        let file = try WAVFile(parsing: bytes)
        #expect(file.format == .pcm16k)
        #expect(file.pcm16Samples() == [1, 2])
    }

    /// Patches a little-endian field of the PCM example.
    static func patched(_ offset: Int, _ values: [UInt8]) -> [UInt8] {
        var bytes = pcmExample
        for (i, value) in values.enumerated() { bytes[offset + i] = value }
        return bytes
    }

    @Test("rejects lying or broken headers with the right error", arguments: [
        (Array(pcmExample[0..<10]), WAVError.truncatedHeader),
        (patched(8, Array("AVI ".utf8)), .notRIFFWave),
        (patched(40, [0x11, 0, 0, 0]), .chunkPastEnd(chunkID: "data", declaredSize: 17, available: 16)),
        (patched(40, [0xFF, 0xFF, 0xFF, 0x7F]), .chunkPastEnd(chunkID: "data", declaredSize: 0x7FFF_FFFF, available: 16)),
        (patched(22, [0, 0]), .invalidChannelCount(0)),
        (patched(22, [3, 0]), .invalidChannelCount(3)),
        (patched(24, [0, 0, 0, 0]), .invalidSampleRate(0)),
        (patched(24, [0, 0, 0, 0x10]), .invalidSampleRate(0x1000_0000)),
        (patched(20, [3, 0]), .unsupportedFormatTag(3)),
        (patched(34, [8, 0]), .unsupportedBitsPerSample(8)),
        (patched(32, [4, 0]), .inconsistentBlockAlign(declared: 4, expected: 2)),
        (patched(28, [0, 0, 0, 0]), .inconsistentByteRate(declared: 0, expected: 16000)),
        (patched(16, [0x60, 0, 0, 0]), .chunkPastEnd(chunkID: "fmt ", declaredSize: 0x60, available: 40)),
        (patched(16, [8, 0, 0, 0]), .formatChunkTooShort(8)),
        (patched(36, Array("date".utf8)), .missingDataChunk),
        (patched(12, Array("data".utf8)), .missingFormatChunk),
        (patched(40, [0x0F, 0, 0, 0]), .partialSampleFrame(dataSize: 15, blockAlign: 2)),
    ])
    func rejects(bytes: [UInt8], expected: WAVError) {
        #expect(throws: AudioError.wav(expected)) { try WAVFile(parsing: bytes) }
    }

    @Test("every truncation of a valid file is rejected, never a crash")
    func truncations() {
        for length in 0..<Self.muLawExample.count {
            #expect(throws: AudioError.self) { try WAVFile(parsing: Array(Self.muLawExample[0..<length])) }
        }
    }

    @Test("10,000 seeded random and mutated inputs: only AudioError.wav, never a crash")
    func fuzz() {
        var generator = SeededGenerator(seed: 2026)
        var accepted = 0
        for round in 0..<10_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...96, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            } else {
                bytes = round % 4 == 1 ? Self.pcmExample : Self.muLawExample
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            do {
                let file = try WAVFile(parsing: bytes)
                // Anything accepted is self-consistent.
                #expect(file.data.count % file.format.bytesPerFrame == 0)
                accepted += 1
            } catch {
                guard case .wav = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
            }
        }
        #expect(accepted > 0)
    }

    @Test("stream writer patches the header on close; bounded writes; closed writer refuses")
    func streamWriter() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wav-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try WAVStreamWriter(path: path, format: .telephony)
        let tone = (0..<12_345).map { Int16(8000 * sin(Double($0) * 0.3)) }
        try writer.append(pcm16: tone)
        try writer.append(pcm16: [1, 2, 3])
        #expect(writer.dataSize == 12_348)
        try writer.close()
        try writer.close()
        #expect(throws: AudioError.wav(.writerClosed)) { try writer.append(pcm16: [1]) }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try WAVFile(parsing: bytes)
        #expect(file.format == .telephony)
        #expect(file.data == MuLaw.encode(tone + [1, 2, 3]))
        #expect(bytes.count == 58 + 12_348)
    }

    @Test("a PCM stream writer file equals the in-memory serialization")
    func streamWriterPCM() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wav-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let samples: [Int16] = (0..<5000).map { Int16(truncatingIfNeeded: $0 * 13) }
        let writer = try WAVStreamWriter(path: path, format: .pcm16k)
        for chunk in stride(from: 0, to: samples.count, by: 777) {
            try writer.append(pcm16: Array(samples[chunk..<min(chunk + 777, samples.count)]))
        }
        try writer.close()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes == (try WAVFile.serialize(pcm16: samples, sampleRate: 16000)))
    }
}
