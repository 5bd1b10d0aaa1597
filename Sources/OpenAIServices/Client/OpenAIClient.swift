import AsyncHTTPClient
import Logging
import SpeechServices

/// Entry point for OpenAI-compatible providers: owns (or borrows) one `HTTPClient` with
/// its connection pool and hands out the STT, chat and TTS providers that share it.
///
/// If you pass no `HTTPClient`, the client creates one and you must call ``shutdown()``
/// before dropping it. A client you pass in stays yours to shut down.
public final class OpenAIClient: Sendable {
    /// Settings in use.
    public let configuration: OpenAIConfiguration
    /// The shared HTTP client.
    public let httpClient: HTTPClient
    private let ownsHTTPClient: Bool

    /// Creates a client. With `httpClient` nil, a private client on the shared event loop group is created.
    public init(configuration: OpenAIConfiguration, httpClient: HTTPClient? = nil) {
        self.configuration = configuration
        if let httpClient {
            self.httpClient = httpClient
            ownsHTTPClient = false
        } else {
            var clientConfiguration = HTTPClient.Configuration()
            clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
            clientConfiguration.timeout = .init(connect: .seconds(5))
            self.httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
            ownsHTTPClient = true
        }
    }

    /// Shuts the HTTP client down if this instance created it. Call once, after the last request.
    public func shutdown() async throws {
        guard ownsHTTPClient else { return }
        try await httpClient.shutdown()
    }

    private var transport: OpenAITransport { OpenAITransport(configuration: configuration, httpClient: httpClient) }

    /// The transcription provider (`/audio/transcriptions`).
    public var transcriber: OpenAITranscriber { OpenAITranscriber(transport: transport) }
    /// The streamed chat provider (`/chat/completions`).
    public var chatModel: OpenAIChatModel { OpenAIChatModel(transport: transport) }
    /// The streamed speech provider (`/audio/speech`, PCM).
    public var speechSynthesizer: OpenAISpeechSynthesizer { OpenAISpeechSynthesizer(transport: transport) }
}
