import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SpeechServices

/// Maps OpenAI HTTP failures and transport errors onto ``ProviderError``.
enum OpenAIErrorMapper {
    private struct ErrorEnvelope: Decodable {
        struct Body: Decodable {
            var message: String?
            var type: String?
            var code: String?
        }
        var error: Body?
    }

    /// The error for a non-2xx response with the given (possibly empty) body.
    /// A `retry-after` is clamped to `maxRetryAfter` (see ``retryAfter(_:maximum:now:)``).
    static func error(
        status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8], provider: String, apiKey: OpenAIAPIKey,
        maxRetryAfter: Duration = .seconds(60)
    ) -> ProviderError {
        let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(body))
        let code = envelope?.error?.code ?? envelope?.error?.type
        var message = envelope?.error?.message ?? String(decoding: body.prefix(300), as: UTF8.self)
        message = apiKey.redact(String(message.prefix(500)))
        let kind: ProviderError.Kind
        switch status.code {
        case 401: kind = .authentication
        case 403: kind = .permissionDenied
        case 413: kind = .inputTooLarge
        case 429: kind = code == "insufficient_quota" ? .quotaExhausted : .rateLimited
        case 408, 409: kind = .server
        case 500...599: kind = .server
        case 400..<500: kind = code == "insufficient_quota" ? .quotaExhausted : .invalidRequest
        default: kind = .malformedResponse
        }
        var shouldRetry: Bool?
        switch headers.first(name: "x-should-retry")?.lowercased() {
        case "true": shouldRetry = true
        case "false": shouldRetry = false
        default: shouldRetry = nil
        }
        return ProviderError(
            kind,
            provider: provider,
            message: code.map { "\($0): \(message)" } ?? message,
            statusCode: Int(status.code),
            retryAfter: retryAfter(headers, maximum: maxRetryAfter),
            shouldRetryOverride: shouldRetry,
            requestID: headers.first(name: "x-request-id").map { String($0.prefix(200)) }
        )
    }

    /// `retry-after-ms` (float milliseconds) first, then `retry-after` (float seconds or an
    /// HTTP date). Every value is checked before use: NaN, not positive or unparsable values
    /// are ignored (nil), and anything longer than `maximum` (`1e20`, `inf`,
    /// `retry-after-ms: 1e13`, a date after 2262) becomes `maximum`. Never traps.
    static func retryAfter(_ headers: HTTPHeaders, maximum: Duration = .seconds(60), now: Date = Date()) -> Duration? {
        if let value = headers.first(name: "retry-after-ms"), value.utf8.count <= 64,
            let milliseconds = Double(value.trimmingCharacters(in: .whitespaces)),
            let delay = NetworkNumber.duration(milliseconds: milliseconds, maximum: maximum)
        {
            return delay
        }
        guard let value = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces), value.utf8.count <= 64 else {
            return nil
        }
        if let seconds = Double(value) { return NetworkNumber.duration(seconds: seconds, maximum: maximum) }
        guard let date = httpDate(value) else { return nil }
        return NetworkNumber.duration(seconds: date.timeIntervalSince(now), maximum: maximum)
    }

    /// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110 requires senders to use.
    private static func httpDate(_ value: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value)
    }

    /// Maps a transport error (thrown by AsyncHTTPClient or while reading a body).
    static func transportError(_ error: any Error, provider: String, apiKey: OpenAIAPIKey) -> ProviderError {
        if let error = error as? ProviderError { return error }
        if error is CancellationError || Task.isCancelled {
            return ProviderError(.cancelled, provider: provider, message: "cancelled")
        }
        if let error = error as? NIOTooManyBytesError {
            return ProviderError(
                .malformedResponse, provider: provider, message: "response body exceeds the \(error.maxBytes ?? 0)-byte limit"
            )
        }
        if let error = error as? HTTPClientError {
            if error == .cancelled { return ProviderError(.cancelled, provider: provider, message: "cancelled") }
            if error == .deadlineExceeded || error == .readTimeout {
                return ProviderError(.timeout(.total), provider: provider, message: apiKey.redact(String(describing: error)))
            }
        }
        return ProviderError(.connection, provider: provider, message: apiKey.redact(String(describing: error)))
    }
}
