/// A chat language model that streams its answer.
public protocol LanguageModel: Sendable {
    /// Who serves the requests, for metrics, logs and fallback reports.
    var descriptor: ProviderDescriptor { get }

    /// Streams the completion for `request`. Output arrives as ``LLMEvent``s: text deltas,
    /// tool-call deltas followed by the assembled tool calls, the finish reason and usage.
    /// The request starts when iteration starts; stopping iteration cancels it.
    func stream(_ request: ChatRequest, context: ProviderCallContext) -> ProviderStream<LLMEvent>
}
