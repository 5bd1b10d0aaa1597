import CallAudio
import Logging

/// Serves syntheses from a ``TTSCache`` when it can and fills the cache otherwise.
///
/// A hit is streamed in chunks of ``chunkDuration`` without touching the provider. A miss
/// streams from the base provider and stores the audio once the synthesis completed.
/// Place it inside a fallback chain (around each provider) so cached phrases are still
/// served while that provider's circuit is open.
public struct CachingTextToSpeech: TextToSpeech {
    /// The wrapped provider.
    public let base: any TextToSpeech
    /// The cache.
    public let cache: TTSCache
    /// Duration of each chunk a hit is split into (default 100 ms).
    public var chunkDuration: Duration

    /// Wraps `base` with `cache`.
    public init(_ base: any TextToSpeech, cache: TTSCache, chunkDuration: Duration = .milliseconds(100)) {
        self.base = base
        self.cache = cache
        self.chunkDuration = chunkDuration
    }

    /// The base provider's descriptor.
    public var descriptor: ProviderDescriptor { base.descriptor }

    /// The base provider's format.
    public func outputFormat(for request: SpeechSynthesisRequest) -> AudioFormat { base.outputFormat(for: request) }

    /// The base provider's voice resolution.
    public func resolvedVoice(for request: SpeechSynthesisRequest) -> String { base.resolvedVoice(for: request) }

    /// Serves from the cache or synthesizes and caches.
    public func synthesize(_ request: SpeechSynthesisRequest, context: ProviderCallContext) -> ProviderStream<AudioChunk> {
        let key = TTSCacheKey(request: request, tts: base)
        if let cached = cache.audio(for: key) {
            context.logger.debug("tts cache hit", metadata: ["cache_key": "\(key)"])
            return .elements(Self.split(cached, chunkDuration: chunkDuration), provider: descriptor.name)
        }
        let base = self.base
        let cache = self.cache
        let maxBytes = cache.configuration.maxEntryBytes
        return ProviderStream(provider: descriptor.name) { continuation throws(ProviderError) in
            var collected: [UInt8] = []
            var format = base.outputFormat(for: request)
            var cacheable = true
            for try await chunk in base.synthesize(request, context: context) {
                format = chunk.format
                if cacheable {
                    collected.append(contentsOf: chunk.bytes)
                    if collected.count > maxBytes {
                        cacheable = false
                        collected = []
                    }
                }
                continuation.yield(chunk)
            }
            if cacheable, !collected.isEmpty, !Task.isCancelled {
                cache.insert(CachedAudio(format: format, bytes: collected), for: key)
            }
        }
    }

    /// Synthesizes each phrase that is not cached yet and stores it pinned (never evicted).
    /// Returns the phrases that could not be synthesized, with their errors.
    @discardableResult
    public func prewarm(_ phrases: [SpeechSynthesisRequest], context: ProviderCallContext) async -> [(SpeechSynthesisRequest, ProviderError)] {
        var failures: [(SpeechSynthesisRequest, ProviderError)] = []
        for phrase in phrases {
            // A cancelled pre-warm (shutdown) stops; a stream cut short by cancellation must
            // not be cached as the phrase.
            if Task.isCancelled { break }
            let key = TTSCacheKey(request: phrase, tts: base)
            if cache.contains(key) { continue }
            do {
                let chunks = try await base.synthesize(phrase, context: context).collect()
                if Task.isCancelled { break }
                guard chunks.contains(where: { !$0.bytes.isEmpty }) else {
                    context.logger.warning("tts pre-warm returned no audio", metadata: ["text": "\(phrase.text)"])
                    continue
                }
                let format = chunks.first?.format ?? base.outputFormat(for: phrase)
                cache.insert(CachedAudio(format: format, bytes: chunks.flatMap(\.bytes)), for: key, pinned: true)
            } catch {
                context.logger.warning("tts pre-warm failed", metadata: ["text": "\(phrase.text)", "error": "\(error)"])
                failures.append((phrase, error))
            }
        }
        return failures
    }

    static func split(_ audio: CachedAudio, chunkDuration: Duration) -> [AudioChunk] {
        let frameBytes = max(1, audio.format.bytesPerFrame)
        let framesPerChunk = max(1, Int(Double(audio.format.sampleRate) * chunkDuration.seconds))
        let chunkBytes = framesPerChunk * frameBytes
        var chunks: [AudioChunk] = []
        chunks.reserveCapacity(audio.bytes.count / chunkBytes + 1)
        var offset = 0
        while offset < audio.bytes.count {
            let end = min(offset + chunkBytes, audio.bytes.count)
            chunks.append(AudioChunk(format: audio.format, bytes: Array(audio.bytes[offset..<end])))
            offset = end
        }
        return chunks
    }
}
