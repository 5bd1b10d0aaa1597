import SpeechServices

/// One scripted answer of a scripted provider: the elements to stream, fixed latencies,
/// and an optional failure after them (or a hang until cancelled).
public struct ScriptedResponse<Element: Sendable>: Sendable {
    /// Elements streamed in order.
    public var elements: [Element]
    /// Wait before the first element.
    public var firstElementDelay: Duration
    /// Wait between elements.
    public var interElementDelay: Duration
    /// Thrown after `elements` (nil: finish normally).
    public var failure: ProviderError?
    /// After `elements`, never finish until cancelled (a stall).
    public var hangs: Bool

    /// Creates a response.
    public init(
        elements: [Element],
        firstElementDelay: Duration = .zero,
        interElementDelay: Duration = .zero,
        failure: ProviderError? = nil,
        hangs: Bool = false
    ) {
        self.elements = elements
        self.firstElementDelay = firstElementDelay
        self.interElementDelay = interElementDelay
        self.failure = failure
        self.hangs = hangs
    }

    /// A response that fails at once with `kind`.
    public static func failure(_ kind: ProviderError.Kind, provider: String = "scripted", retryAfter: Duration? = nil) -> ScriptedResponse {
        ScriptedResponse(elements: [], failure: ProviderError(kind, provider: provider, message: "scripted \(kind.label)", retryAfter: retryAfter))
    }

    /// Streams the response through `continuation`, sleeping on `clock`.
    func play(into continuation: ProviderStream<Element>.Continuation, clock: any ResilienceClock, provider: String) async throws(ProviderError) {
        do {
            for (index, element) in elements.enumerated() {
                let delay = index == 0 ? firstElementDelay : interElementDelay
                if delay > .zero { try await clock.sleep(until: clock.now() + delay) }
                continuation.yield(element)
            }
            if elements.isEmpty, firstElementDelay > .zero { try await clock.sleep(until: clock.now() + firstElementDelay) }
            if hangs {
                while true { try await clock.sleep(until: clock.now() + .seconds(86_400)) }
            }
        } catch {
            throw ProviderError.wrapping(error, provider: provider)
        }
        if var failure {
            failure.provider = provider
            throw failure
        }
    }
}
