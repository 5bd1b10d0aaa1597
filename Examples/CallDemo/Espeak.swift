import CallAudio
import Foundation
import SpeechServices

/// Real synthesized speech from espeak-ng (Debian package `espeak-ng`), resampled with libsoxr.
enum Espeak {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Speaks `text` and returns 16-bit PCM at `sampleRate`.
    static func synthesize(_ text: String, voice: String = "en-us", sampleRate: Int) async throws -> [Int16] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("call-demo-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/espeak-ng")
        process.arguments = ["-v", voice, "-s", "165", "-w", file.path, text]
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: Failure(description: "cannot run espeak-ng (apt-get install espeak-ng): \(error)"))
            }
        }
        guard status == 0 else { throw Failure(description: "espeak-ng exited with status \(status)") }
        let wav = try WAVFile(parsing: [UInt8](Data(contentsOf: file)))
        let samples = wav.pcm16Samples()
        return try StreamingResampler<Int16>.resample(samples, from: Double(wav.format.sampleRate), to: Double(sampleRate))
    }
}

/// The agent's voice for the demo: a ``TextToSpeech`` backed by espeak-ng (24 kHz PCM).
struct EspeakTextToSpeech: TextToSpeech {
    var descriptor: ProviderDescriptor { ProviderDescriptor(name: "espeak-ng", model: "espeak-ng") }

    func outputFormat(for request: SpeechSynthesisRequest) -> AudioFormat { .pcm24k }

    func resolvedVoice(for request: SpeechSynthesisRequest) -> String { request.voice ?? "en-us" }

    func synthesize(_ request: SpeechSynthesisRequest, context: ProviderCallContext) -> ProviderStream<AudioChunk> {
        ProviderStream(provider: descriptor.name) { (continuation) throws(ProviderError) in
            let samples: [Int16]
            do {
                samples = try await Espeak.synthesize(request.text, voice: "en-us", sampleRate: 24_000)
            } catch {
                throw ProviderError(.server, provider: "espeak-ng", message: "\(error)")
            }
            // 100 ms chunks, little-endian PCM16.
            var start = 0
            while start < samples.count {
                let end = min(start + 2400, samples.count)
                var bytes: [UInt8] = []
                bytes.reserveCapacity((end - start) * 2)
                for sample in samples[start..<end] {
                    let bits = UInt16(bitPattern: sample)
                    bytes.append(UInt8(bits & 0xFF))
                    bytes.append(UInt8(bits >> 8))
                }
                continuation.yield(AudioChunk(format: .pcm24k, bytes: bytes))
                start = end
            }
        }
    }
}
