import CallAudio
import SpeechServices

/// A local TTS provider with fixed latency: the first audio chunk arrives `firstChunkDelay`
/// after the request, the rest of the audio follows faster than real time. The audio is a
/// quiet tone (24 kHz 16-bit PCM, like OpenAI's `pcm` output), `millisecondsPerCharacter`
/// long per character of text. Generating it costs almost no CPU, so the worker's CPU
/// figures are not polluted by speech synthesis.
struct FixedLatencyTextToSpeech: TextToSpeech {
    let descriptor = ProviderDescriptor(name: "fixed-latency-tts", model: "tone")
    let firstChunkDelay: Duration
    let millisecondsPerCharacter: Int
    /// Audio per chunk (ms) and the wait between chunks: 200 ms every 50 ms = 4x real time.
    let chunkMilliseconds = 200
    let chunkInterval = Duration.milliseconds(50)
    private let tone: [UInt8]

    init(firstChunkDelay: Duration = .milliseconds(200), millisecondsPerCharacter: Int = 65) {
        self.firstChunkDelay = firstChunkDelay
        self.millisecondsPerCharacter = millisecondsPerCharacter
        // One chunk of a 300 Hz tone at about -24 dBFS, 24 kHz 16-bit little-endian.
        let samples = 24 * chunkMilliseconds
        var bytes = [UInt8]()
        bytes.reserveCapacity(samples * 2)
        for index in 0..<samples {
            // Triangle wave: cheap and free of Foundation.
            let period = 80
            let position = index % period
            let level = position < period / 2 ? position : period - position
            let sample = Int16((level - period / 4) * 100)
            let raw = UInt16(bitPattern: sample)
            bytes.append(UInt8(raw & 0xFF))
            bytes.append(UInt8(raw >> 8))
        }
        tone = bytes
    }

    func outputFormat(for request: SpeechSynthesisRequest) -> AudioFormat { .pcm24k }

    func resolvedVoice(for request: SpeechSynthesisRequest) -> String { request.voice ?? "tone" }

    func synthesize(_ request: SpeechSynthesisRequest, context: ProviderCallContext) -> ProviderStream<AudioChunk> {
        let totalBytes = max(1, request.text.count) * millisecondsPerCharacter * 48
        let tone = self.tone
        let firstChunkDelay = self.firstChunkDelay
        let chunkInterval = self.chunkInterval
        return ProviderStream(provider: descriptor.name) { continuation throws(ProviderError) in
            let start = ContinuousClock.now
            var sent = 0
            var index = 0
            while sent < totalBytes {
                let due = start + firstChunkDelay + chunkInterval * index
                do { try await Task.sleep(until: due, clock: .continuous) } catch { return }
                let count = min(tone.count, totalBytes - sent) & ~1
                guard count > 0 else { return }
                continuation.yield(AudioChunk(format: .pcm24k, bytes: Array(tone[0..<count])))
                sent += count
                index += 1
            }
        }
    }
}
