import CallAudio
import CallTesting
import Foundation
import SpeechServices
import Testing

@Suite("TTS cache", .timeLimit(.minutes(2)))
struct TTSCacheTests {
    let context = ProviderCallContext(callSID: "CA-cache")

    @Test("a pre-warmed phrase is served without calling the provider, whitespace-insensitively")
    func prewarmedHit() async throws {
        let tts = ScriptedTextToSpeech()
        let caching = CachingTextToSpeech(tts, cache: TTSCache())
        let failures = await caching.prewarm([SpeechSynthesisRequest(text: "Are you still there?")], context: context)
        #expect(failures.isEmpty)
        #expect(tts.callCount == 1)
        let chunks = try await caching.synthesize(SpeechSynthesisRequest(text: "  Are you   still there? "), context: context).collect()
        #expect(tts.callCount == 1)
        let expected = ScriptedTextToSpeech.tone(milliseconds: 200).flatMap(\.bytes)
        #expect(chunks.flatMap(\.bytes) == expected)
        #expect(chunks.allSatisfy { $0.format == .pcm24k && $0.bytes.count % 2 == 0 })
    }

    @Test("a miss is cached after a complete synthesis; other voices are different keys")
    func missThenHit() async throws {
        let tts = ScriptedTextToSpeech()
        let caching = CachingTextToSpeech(tts, cache: TTSCache())
        _ = try await caching.synthesize(SpeechSynthesisRequest(text: "One moment please."), context: context).collect()
        _ = try await caching.synthesize(SpeechSynthesisRequest(text: "One moment please."), context: context).collect()
        #expect(tts.callCount == 1)
        _ = try await caching.synthesize(SpeechSynthesisRequest(text: "One moment please.", voice: "other"), context: context).collect()
        #expect(tts.callCount == 2)
    }

    @Test("a failed synthesis is not cached")
    func failureNotCached() async throws {
        let tts = ScriptedTextToSpeech()
        tts.enqueue(ScriptedResponse(elements: ScriptedTextToSpeech.tone(milliseconds: 40), failure: ProviderError(.connection, provider: "t", message: "cut")))
        let caching = CachingTextToSpeech(tts, cache: TTSCache())
        await #expect(throws: ProviderError.self) { try await caching.synthesize(SpeechSynthesisRequest(text: "Hi"), context: context).collect() }
        _ = try await caching.synthesize(SpeechSynthesisRequest(text: "Hi"), context: context).collect()
        #expect(tts.callCount == 2)
    }

    @Test("LRU eviction by bytes keeps recently used entries and never evicts pinned ones")
    func lruEviction() {
        let cache = TTSCache(configuration: TTSCacheConfiguration(maxBytes: 300, maxEntryBytes: 200))
        func key(_ text: String) -> TTSCacheKey { TTSCacheKey(provider: "p", model: "m", voice: "v", format: .pcm24k, text: text) }
        func audio(_ count: Int) -> CachedAudio { CachedAudio(format: .pcm24k, bytes: [UInt8](repeating: 1, count: count)) }
        cache.insert(audio(500), for: key("greeting"), pinned: true)
        cache.insert(audio(100), for: key("a"))
        cache.insert(audio(100), for: key("b"))
        cache.insert(audio(100), for: key("c"))
        #expect(cache.audio(for: key("a")) != nil)  // a becomes most recent
        cache.insert(audio(100), for: key("d"))  // evicts b
        #expect(cache.contains(key("a")))
        #expect(!cache.contains(key("b")))
        #expect(cache.contains(key("c")) && cache.contains(key("d")))
        #expect(cache.contains(key("greeting")))
        cache.insert(audio(250), for: key("too big"))
        #expect(!cache.contains(key("too big")))
        #expect(cache.statistics.bytes == 800)
    }

    @Test("entries persist on disk and load into a new cache")
    func persistence() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tts-cache-\(UInt64.random(in: 0...UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = TTSCacheKey(provider: "openai", model: "tts", voice: "alloy", format: .pcm24k, text: "Thanks for calling.")
        let audio = CachedAudio(format: .pcm24k, bytes: [1, 2, 3, 4])
        TTSCache(configuration: TTSCacheConfiguration(directory: directory)).insert(audio, for: key, pinned: true)
        let reloaded = TTSCache(configuration: TTSCacheConfiguration(directory: directory))
        #expect(reloaded.loadPersisted() == 1)
        #expect(reloaded.audio(for: key) == audio)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: directory + "/bad.ttscache"))
        #expect(TTSCache(configuration: TTSCacheConfiguration(directory: directory)).loadPersisted() == 1)
    }

    @Test("key normalisation trims and collapses whitespace but keeps case and punctuation")
    func normalisation() {
        #expect(TTSCacheKey.normalize("  Hello,\n\tworld!  ") == "Hello, world!")
        #expect(TTSCacheKey.normalize("Hello") != TTSCacheKey.normalize("hello"))
    }
}
