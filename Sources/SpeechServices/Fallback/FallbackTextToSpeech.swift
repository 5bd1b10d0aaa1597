import CallAudio
import Logging

/// Tries an ordered list of TTS providers, like ``FallbackLanguageModel``.
///
/// The declared output format is the first provider's; consumers must check each chunk's
/// ``AudioChunk/format`` because a fallback provider may use another one.
public struct FallbackTextToSpeech: TextToSpeech {
    /// The providers, most preferred first.
    public let providers: [any TextToSpeech]
    private let router: FallbackRouter

    /// Creates a fallback chain. `providers` must not be empty.
    public init(_ providers: [any TextToSpeech], logger: Logger = Logger(label: "speech-services.fallback")) {
        self.providers = providers
        router = FallbackRouter(
            descriptors: providers.map(\.descriptor),
            breakers: providers.map { $0 as? any CircuitBreakerProviding },
            logger: logger
        )
    }

    /// The first provider's descriptor.
    public var descriptor: ProviderDescriptor {
        providers.first?.descriptor ?? ProviderDescriptor(name: "none", model: "none")
    }

    /// The first provider's output format.
    public func outputFormat(for request: SpeechSynthesisRequest) -> AudioFormat {
        providers.first?.outputFormat(for: request) ?? .pcm24k
    }

    /// The first provider's voice resolution.
    public func resolvedVoice(for request: SpeechSynthesisRequest) -> String {
        providers.first?.resolvedVoice(for: request) ?? request.voice ?? ""
    }

    /// Synthesizes with the first provider that works.
    public func synthesize(_ request: SpeechSynthesisRequest, context: ProviderCallContext) -> ProviderStream<AudioChunk> {
        let providers = self.providers
        let router = self.router
        return ProviderStream(provider: descriptor.name) { continuation throws(ProviderError) in
            var lastError: ProviderError?
            for index in router.candidates(context: context) {
                var handedOutput = false
                do throws(ProviderError) {
                    for try await chunk in providers[index].synthesize(request, context: context) {
                        if !handedOutput {
                            handedOutput = true
                            router.reportServed(index: index, context: context, operation: "tts")
                        }
                        continuation.yield(chunk)
                    }
                    if !handedOutput { router.reportServed(index: index, context: context, operation: "tts") }
                    return
                } catch {
                    lastError = error
                    guard router.shouldFallBack(after: error, handedOutput: handedOutput) else { throw error }
                    context.logger.warning("tts provider failed; trying next", metadata: ["provider": "\(providers[index].descriptor)", "error": "\(error)"])
                }
            }
            throw router.exhausted(lastError: lastError, operation: "tts")
        }
    }

    /// Waits for background probes started so far (for tests and orderly shutdown).
    public func waitForProbes() async {
        await router.waitForProbes()
    }
}
