import CallAudio
import Benchmark
import SpeechServices

/// A typical chat.completion.chunk event as OpenAI streams it (about 230 bytes).
let sseEvent = Array(
    (#"data: {"id":"chatcmpl-ABfw5EzoqmfXjnnsXY7Yd8OC6tb3c","object":"chat.completion.chunk","created":1727346173,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":" hello"},"logprobs":null,"finish_reason":null}]}"# + "\n\n").utf8
)

/// 100 such events in one body, delivered in 1 KiB buffers as a socket would.
let sseBody: [[UInt8]] = {
    let body = Array((0..<100).map { _ in sseEvent }.joined())
    return stride(from: 0, to: body.count, by: 1024).map { Array(body[$0..<min($0 + 1024, body.count)]) }
}()

/// A receptionist-style reply with numbers, abbreviations and an e-mail, streamed in 4-character deltas.
let replyDeltas: [String] = {
    let reply = """
        Thanks for calling Acme Dental, this is Ava. Dr. Smith has a free slot on Tuesday at 3.30 pm, \
        and another one on Thursday at 10 am. The check-up costs approx. 45.50 dollars, e.g. with the \
        standard cleaning included. You can also write to front.desk@acme-dental.example.com or visit \
        https://acme-dental.example.com/booking. Would Tuesday work for you? Great! I'll book it now.
        """
    var deltas: [String] = []
    var rest = Substring(reply)
    while !rest.isEmpty {
        deltas.append(String(rest.prefix(4)))
        rest = rest.dropFirst(4)
    }
    return deltas
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxIterations = 10_000
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)
    let metrics: [BenchmarkMetric] = [.cpuTotal, .wallClock, .mallocCountTotal, .throughput]

    // One op = one SSE event framed from a 1 KiB-buffered body (throughput = events/s).
    Benchmark("SSE parse (events)", configuration: .init(metrics: metrics, scalingFactor: .kilo)) { benchmark in
        var parser = ServerSentEventParser()
        var events = 0
        benchmark.startMeasurement()
        for _ in 0..<(benchmark.scaledIterations.count / 100) {
            for buffer in sseBody {
                try parser.parse(buffer) { event in
                    events &+= event.data.utf8.count
                }
            }
        }
        benchmark.stopMeasurement()
        blackHole(events)
    }

    // One op = one ~430-character reply chunked from 4-character deltas.
    Benchmark("Sentence chunker (reply)", configuration: .init(metrics: metrics, scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            var chunker = SentenceChunker()
            var count = 0
            for delta in replyDeltas { count &+= chunker.append(delta).count }
            count &+= chunker.finish().count
            blackHole(count)
        }
    }

    // One op = one lookup of a cached phrase among 500 entries.
    Benchmark("TTS cache hit", configuration: .init(metrics: metrics, scalingFactor: .kilo)) { benchmark in
        let cache = TTSCache(configuration: TTSCacheConfiguration(maxBytes: 1 << 30))
        let audio = CachedAudio(format: .pcm24k, bytes: [UInt8](repeating: 7, count: 48_000))
        var keys: [TTSCacheKey] = []
        for index in 0..<500 {
            let key = TTSCacheKey(provider: "openai", model: "gpt-4o-mini-tts", voice: "alloy", format: .pcm24k, text: "Phrase number \(index).")
            cache.insert(audio, for: key)
            keys.append(key)
        }
        let key = keys[250]
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(cache.audio(for: key))
        }
    }

    // One op = admission plus outcome recording on a closed breaker (the per-call overhead).
    Benchmark("Circuit breaker per call", configuration: .init(metrics: metrics, scalingFactor: .kilo)) { benchmark in
        let breaker = CircuitBreaker(descriptor: ProviderDescriptor(name: "openai", model: "gpt-4o-mini"))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(breaker.acquire())
            breaker.recordSuccess()
        }
    }
}
