import AsyncHTTPClient
import Logging
import SpeechServices

/// A streamed chat model through `POST /chat/completions` with `stream: true`,
/// parsing server-sent events incrementally as body buffers arrive.
///
/// Bounded: the answer must be `text/event-stream`; a line longer than
/// ``OpenAIConfiguration/maxEventLineBytes``, a stream longer than
/// ``OpenAIConfiguration/maxChatStreamBytes`` or a reply longer than
/// ``OpenAIConfiguration/maxReplyCharacters`` fails as a malformed response.
public struct OpenAIChatModel: LanguageModel {
    let transport: OpenAITransport

    /// `openai` / the chat model.
    public var descriptor: ProviderDescriptor {
        ProviderDescriptor(name: transport.configuration.providerName, model: transport.configuration.chatModel)
    }

    /// Streams the completion.
    public func stream(_ request: ChatRequest, context: ProviderCallContext) -> ProviderStream<LLMEvent> {
        let transport = self.transport
        return ProviderStream(provider: transport.provider) { continuation throws(ProviderError) in
            let body = try OpenAIChatRequestEncoder.encode(request, configuration: transport.configuration)
            let response = try await transport.post(
                path: "/chat/completions", contentType: "application/json", body: body, accept: "text/event-stream", logger: context.logger
            )
            try transport.requireContentType(response, accepted: ["text/event-stream"], path: "/chat/completions")
            let configuration = transport.configuration
            var parser = ServerSentEventParser(maxLineBytes: configuration.maxEventLineBytes, maxEventBytes: configuration.maxEventLineBytes)
            var decoder = OpenAIChatStreamDecoder(provider: transport.provider, maxReplyCharacters: configuration.maxReplyCharacters)
            var streamBytes = 0
            do {
                bodyLoop: for try await buffer in response.body {
                    streamBytes += buffer.readableBytes
                    guard streamBytes <= configuration.maxChatStreamBytes else {
                        throw ProviderError(
                            .malformedResponse, provider: transport.provider,
                            message: "chat stream exceeds \(configuration.maxChatStreamBytes) bytes"
                        )
                    }
                    var decodeError: ProviderError?
                    try parser.parse(buffer.readableBytesView) { event in
                        guard decodeError == nil, !decoder.isDone else { return }
                        do throws(ProviderError) {
                            try decoder.decode(data: event.data) { continuation.yield($0) }
                        } catch {
                            decodeError = error
                        }
                    }
                    if let decodeError { throw decodeError }
                    if decoder.isDone { break bodyLoop }
                }
            } catch let error as ProviderError {
                throw error
            } catch let error as ServerSentEventParser.ParseError {
                throw ProviderError(.malformedResponse, provider: transport.provider, message: "invalid event stream: \(error)")
            } catch {
                throw OpenAIErrorMapper.transportError(error, provider: transport.provider, apiKey: transport.configuration.apiKey)
            }
            try decoder.finish()
        }
    }
}
