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
    /// Limits the per-failure warning (a provider answering 429 to every call must not flood the log).
    let logLimiter: LogRateLimiter

    var provider: String { configuration.providerName }

    /// POSTs `body` to `path` and returns the 2xx response with its body still unread.
    func post(path: String, contentType: String, body: [UInt8], accept: String, logger: Logger) async throws(ProviderError) -> HTTPClientResponse {
        var request = makeRequest(path: path, accept: accept)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request, path: path, logger: logger)
    }

    /// A request to `path` with the credential headers.
    func makeRequest(path: String, accept: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: configuration.baseURL + path)
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.apiKey.secret)")
        request.headers.add(name: "Accept", value: accept)
        if let organization = configuration.organization { request.headers.add(name: "OpenAI-Organization", value: organization) }
        if let project = configuration.project { request.headers.add(name: "OpenAI-Project", value: project) }
        return request
    }

    /// Executes `request` and returns the 2xx response with its body still unread.
    func send(_ request: HTTPClientRequest, path: String, logger: Logger) async throws(ProviderError) -> HTTPClientResponse {
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
                status: response.status, headers: response.headers, body: bytes, provider: provider, apiKey: configuration.apiKey,
                maxRetryAfter: configuration.maxRetryAfter
            )
            logLimiter.log(
                logger, level: .warning, "openai request failed",
                metadata: [
                    "path": "\(path)", "status": "\(response.status.code)", "error_kind": "\(error.kind.label)",
                    "request_id": "\(error.requestID ?? "-")",
                ],
                key: "\(path)|\(response.status.code)"
            )
            throw error
        }
        return response
    }

    /// Fails with a malformed response unless the 2xx response's `content-type` (when present)
    /// is one of `accepted` (a type, or a `type/` prefix such as `audio/`). A `200` carrying an
    /// HTML error page from a proxy must not be parsed or played.
    func requireContentType(_ response: HTTPClientResponse, accepted: [String], path: String) throws(ProviderError) {
        guard let value = response.headers.first(name: "content-type") else { return }
        let type = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let matches = accepted.contains { accepted in accepted.hasSuffix("/") ? type.hasPrefix(accepted) : type == accepted }
        guard !matches else { return }
        throw ProviderError(
            .malformedResponse, provider: provider,
            message: "\(path) answered \(response.status.code) with content type \"\(String(value.prefix(100)))\", expected \(accepted.joined(separator: " or "))",
            statusCode: Int(response.status.code), requestID: response.headers.first(name: "x-request-id").map { String($0.prefix(200)) }
        )
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to `Int64`.
    var nanosecondsClamped: Int64 {
        let parts = components
        let (seconds, overflow) = parts.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return parts.seconds < 0 ? .min : .max }
        let (total, sumOverflow) = seconds.addingReportingOverflow(parts.attoseconds / 1_000_000_000)
        if sumOverflow { return parts.seconds < 0 ? .min : .max }
        return total
    }
}
