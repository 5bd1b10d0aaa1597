import Benchmark
import CallAudio
import CallEngine
import Foundation
import SpeechServices

/// Providers that answer instantly, so the benchmarks measure the engine, not providers.
struct InstantSTT: SpeechToText {
    let descriptor = ProviderDescriptor(name: "instant", model: "stt")
    func transcribe(_ request: TranscriptionRequest, context: ProviderCallContext) async throws(ProviderError) -> Transcript {
        Transcript(text: "I would like to book an appointment.")
    }
}

struct InstantLLM: LanguageModel {
    let descriptor = ProviderDescriptor(name: "instant", model: "llm")
    func stream(_ request: ChatRequest, context: ProviderCallContext) -> ProviderStream<LLMEvent> {
        .elements(["Sure, ", "what day ", "works for you?"].map { .textDelta($0) } + [.finished(.stop)], provider: "instant")
    }
}

struct InstantTTS: TextToSpeech {
    let descriptor = ProviderDescriptor(name: "instant", model: "tts")
    static let audio = AudioChunk(format: .pcm24k, bytes: [UInt8](repeating: 0, count: 24_000 * 2 / 5))
    func outputFormat(for request: SpeechSynthesisRequest) -> AudioFormat { .pcm24k }
    func resolvedVoice(for request: SpeechSynthesisRequest) -> String { "instant" }
    func synthesize(_ request: SpeechSynthesisRequest, context: ProviderCallContext) -> ProviderStream<AudioChunk> {
        .elements([Self.audio], provider: "instant")
    }
}

/// A transport that drops everything (playback is not what is measured).
struct NullTransport: CallTransport {
    func send(_ command: TransportCommand) {}
    func waitForPlaybackBacklog(below duration: Duration) async throws {}
}

/// A transport that reports the mark after each spoken sentence (one per reply here).
struct SignallingTransport: CallTransport {
    let audio: AsyncStream<Void>.Continuation
    func send(_ command: TransportCommand) {
        if case .mark = command { audio.yield() }
    }
    func waitForPlaybackBacklog(below duration: Duration) async throws {}
}

func makeConversation(transport: any CallTransport = NullTransport()) -> CallConversation {
    CallConversation(
        identity: CallIdentity(callID: "CA-bench", streamID: "MZ-bench", botID: "bench"),
        configuration: CallEngineConfiguration(systemPrompt: "You are a benchmark."),
        providers: CallProviders(speechToText: InstantSTT(), languageModel: InstantLLM(), textToSpeech: InstantTTS()),
        transport: transport
    )
}

/// 20 ms PCM16 frames at 8 kHz of low noise (the listening path: the caller is silent).
let silentFrames: [AudioFrame] = (0..<50).compactMap { index in
    try? AudioFrame((0..<160).map { Int16(truncatingIfNeeded: (($0 + index * 7) * 7919) % 41 - 20) * 8 }, sampleRate: 8000)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(3)

    Benchmark(
        "Listening path: one 20 ms PCM frame through CallConversation (VAD + state machine + timers)",
        configuration: .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput], scalingFactor: .kilo)
    ) { benchmark in
        let conversation = makeConversation()
        let run = Task { await conversation.run() }
        for frame in silentFrames { await conversation.handle(.audio(frame)) }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            await conversation.handle(.audio(silentFrames[index % silentFrames.count]))
        }
        benchmark.stopMeasurement()
        await conversation.endNow(reason: .callerHungUp)
        _ = await run.value
    }

    Benchmark(
        "Engine overhead per turn: keypad input -> LLM -> sentence -> TTS -> frames + mark out (instant providers)",
        configuration: .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal], maxIterations: 2000)
    ) { benchmark in
        let (audio, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .unbounded)
        let conversation = makeConversation(transport: SignallingTransport(audio: continuation))
        let run = Task { await conversation.run() }
        var iterator = audio.makeAsyncIterator()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            await conversation.handle(.dtmf(digit: "1"))
            await conversation.handle(.dtmf(digit: "#"))
            _ = await iterator.next()
        }
        benchmark.stopMeasurement()
        await conversation.endNow(reason: .callerHungUp)
        _ = await run.value
    }

    Benchmark(
        "Memory of one active call session (create + start, no audio)",
        configuration: .init(metrics: [.mallocCountTotal, .memoryLeaked, .peakMemoryResident, .allocatedResidentMemory], maxIterations: 200)
    ) { benchmark in
        let conversation = makeConversation()
        let run = Task { await conversation.run() }
        await conversation.handle(.audio(silentFrames[0]))
        blackHole(await conversation.currentPhase)
        await conversation.endNow(reason: .callerHungUp)
        _ = await run.value
    }
}
