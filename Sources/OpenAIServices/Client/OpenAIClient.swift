import AsyncHTTPClient
import Logging
import NIOCore
import SpeechServices

/// Entry point for OpenAI-compatible providers: owns (or borrows) one `HTTPClient` with
/// its connection pool and hands out the STT, chat and TTS providers that share it.
///
/// If you pass no `HTTPClient`, the client creates one from the configuration's pool
/// settings (``OpenAIConfiguration/maximumConnectionsPerHost``,
/// ``OpenAIConfiguration/connectionIdleTimeout``, HTTP/2 when a TLS server offers it), and
/// you must call ``shutdown()`` before dropping it. A client you pass in stays yours to shut down.
///
/// ``preconnect(connections:context:)`` opens pooled connections ahead of a call's first turn.
public final class OpenAIClient: ProviderWarmup {
    /// Settings in use.
    public let configuration: OpenAIConfiguration
    /// The shared HTTP client.
    public let httpClient: HTTPClient
    private let ownsHTTPClient: Bool
    private let logLimiter: LogRateLimiter

    /// Creates a client. With `httpClient` nil, a private client on the shared event loop group is created.
    /// `logLimiter` bounds the repeated failure warnings of all its providers (default: bursts
    /// of 5 lines, then one per second per path and status).
    public init(configuration: OpenAIConfiguration, httpClient: HTTPClient? = nil, logLimiter: LogRateLimiter = LogRateLimiter()) {
        self.configuration = configuration
        self.logLimiter = logLimiter
        if let httpClient {
            self.httpClient = httpClient
            ownsHTTPClient = false
        } else {
            self.httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: Self.httpConfiguration(for: configuration))
            ownsHTTPClient = true
        }
    }

    /// The `HTTPClient` settings used when the client creates its own: a pool of
    /// ``OpenAIConfiguration/maximumConnectionsPerHost`` HTTP/1.1 connections per host, idle
    /// connections kept for ``OpenAIConfiguration/connectionIdleTimeout``, HTTP/2 over TLS
    /// when the server offers it (`httpVersion = .automatic`), ``OpenAIConfiguration/connectTimeout``.
    public static func httpConfiguration(for configuration: OpenAIConfiguration) -> HTTPClient.Configuration {
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(
            idleTimeout: .nanoseconds(max(1_000_000_000, configuration.connectionIdleTimeout.nanosecondsClamped)),
            concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, configuration.maximumConnectionsPerHost)
        )
        clientConfiguration.httpVersion = .automatic
        clientConfiguration.timeout = .init(connect: .nanoseconds(max(1_000_000, configuration.connectTimeout.nanosecondsClamped)))
        return clientConfiguration
    }

    /// Shuts the HTTP client down if this instance created it. Call once, after the last request.
    public func shutdown() async throws {
        guard ownsHTTPClient else { return }
        try await httpClient.shutdown()
    }

    private var transport: OpenAITransport { OpenAITransport(configuration: configuration, httpClient: httpClient, logLimiter: logLimiter) }

    /// The transcription provider (`/audio/transcriptions`).
    public var transcriber: OpenAITranscriber { OpenAITranscriber(transport: transport) }
    /// The streamed chat provider (`/chat/completions`).
    public var chatModel: OpenAIChatModel { OpenAIChatModel(transport: transport) }
    /// The streamed speech provider (`/audio/speech`, PCM).
    public var speechSynthesizer: OpenAISpeechSynthesizer { OpenAISpeechSynthesizer(transport: transport) }

    /// Opens `connections` pooled connections (default ``OpenAIConfiguration/preconnectConnections``,
    /// at most the pool size) by sending that many concurrent `GET /models`, the cheapest
    /// authenticated request. Any HTTP answer counts: the connection is then open and pooled
    /// for the call's STT, chat and TTS requests (all on the same host). Never throws.
    public func preconnect(connections: Int?, context: ProviderCallContext) async -> ProviderWarmupResult {
        let count = min(max(1, connections ?? configuration.preconnectConnections), max(1, configuration.maximumConnectionsPerHost))
        let transport = self.transport
        let logger = context.logger
        let start = ContinuousClock.now
        let (connected, firstError) = await withTaskGroup(of: String?.self) { group -> (Int, String?) in
            for _ in 0..<count {
                group.addTask { await transport.warmUp(logger: logger) }
            }
            var connected = 0
            var firstError: String?
            for await error in group {
                if let error { firstError = firstError ?? error } else { connected += 1 }
            }
            return (connected, firstError)
        }
        let result = ProviderWarmupResult(attempted: count, connected: connected, duration: ContinuousClock.now - start)
        let level: Logger.Level = connected == count ? .debug : .warning
        var metadata: Logger.Metadata = [
            "provider": "\(configuration.providerName)", "connections": "\(connected)/\(count)",
            "duration_ms": "\(NetworkNumber.saturatingInt(result.duration.fractionalSeconds * 1000))",
        ]
        if let firstError { metadata["error"] = "\(firstError)" }
        logLimiter.log(logger, level: level, "provider preconnect", metadata: metadata, key: "preconnect|\(level)")
        return result
    }
}

extension OpenAITransport {
    /// One warm-up request (`GET /models`, limited to the connect timeout); its body is drained (up to 1 MiB) so the
    /// connection goes back to the pool. Returns nil when the server answered, else the error.
    func warmUp(logger: Logger) async -> String? {
        let request = makeRequest(path: "/models", accept: "application/json")
        do {
            let timeout = TimeAmount.nanoseconds(max(1_000_000, configuration.connectTimeout.nanosecondsClamped))
            let response = try await httpClient.execute(request, timeout: timeout, logger: logger)
            var bytes = 0
            for try await buffer in response.body {
                bytes += buffer.readableBytes
                if bytes > 1 << 20 { break }
            }
            return nil
        } catch {
            return configuration.apiKey.redact(String(describing: error))
        }
    }
}

extension Duration {
    /// This duration in fractional seconds.
    var fractionalSeconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
