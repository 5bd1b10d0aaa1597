import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import SpeechServices

/// Sends requests to an OpenAI-compatible server with the configured credentials and
/// turns non-2xx responses into ``ProviderError``s.
struct OpenAITransport: Sendable {
    let configuration: OpenAIConfiguration
    let httpClient: HTTPClient

    var provider: String { configuration.providerName }

    /// POSTs `body` to `path` and returns the 2xx response with its body still unread.
    func post(path: String, contentType: String, body: [UInt8], accept: String, logger: Logger) async throws(ProviderError) -> HTTPClientResponse {
        var request = HTTPClientRequest(url: configuration.baseURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.apiKey.secret)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "Accept", value: accept)
        if let organization = configuration.organization { request.headers.add(name: "OpenAI-Organization", value: organization) }
        if let project = configuration.project { request.headers.add(name: "OpenAI-Project", value: project) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .nanoseconds(configuration.requestTimeout.nanosecondsClamped), logger: logger)
        } catch {
            throw OpenAIErrorMapper.transportError(error, provider: provider, apiKey: configuration.apiKey)
        }
        guard (200..<300).contains(response.status.code) else {
            var bytes: [UInt8] = []
            if let buffer = try? await response.body.collect(upTo: 1 << 16) { bytes = Array(buffer.readableBytesView) }
            let error = OpenAIErrorMapper.error(
                status: response.status, headers: response.headers, body: bytes, provider: provider, apiKey: configuration.apiKey
            )
            logger.warning(
                "openai request failed",
                metadata: ["path": "\(path)", "status": "\(response.status.code)", "error_kind": "\(error.kind.label)", "request_id": "\(error.requestID ?? "-")"]
            )
            throw error
        }
        return response
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to `Int64`.
    var nanosecondsClamped: Int64 {
        let parts = components
        let (seconds, overflow) = parts.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return parts.seconds < 0 ? .min : .max }
        return seconds &+ parts.attoseconds / 1_000_000_000
    }
}
