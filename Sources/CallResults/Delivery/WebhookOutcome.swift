import AsyncHTTPClient

/// What one POST of a result achieved.
public enum WebhookOutcome: Sendable, Hashable {
    /// The receiver answered 2xx: the entry can be removed.
    case delivered
    /// Worth trying again later: connection failure, timeout, 5xx, 408, 429.
    case retry(reason: String)
    /// Will never succeed: a 4xx other than 408/429, or a request AsyncHTTPClient refuses to
    /// build (e.g. a header value with a control character). The entry is dead-lettered.
    case rejected(reason: String)

    /// Classifies a response status.
    public static func classify(status: Int) -> WebhookOutcome {
        switch status {
        case 200..<300: .delivered
        case 408, 429: .retry(reason: "status \(status)")
        case 400..<500: .rejected(reason: "status \(status)")
        default: .retry(reason: "status \(status)")
        }
    }

    /// Classifies a request error.
    public static func classify(error: any Error) -> WebhookOutcome {
        if let error = error as? HTTPClientError, Self.unbuildable.contains(error.shortDescription) {
            return .rejected(reason: "request refused by the HTTP client: \(error.shortDescription)")
        }
        return .retry(reason: "\(error)")
    }

    /// AsyncHTTPClient errors that depend on the entry, not on the network.
    private static let unbuildable: Set<String> = [
        HTTPClientError.invalidHeaderFieldNames([]).shortDescription,
        HTTPClientError.invalidHeaderFieldValues([]).shortDescription,
        HTTPClientError.bodyLengthMismatch.shortDescription,
    ]
}
