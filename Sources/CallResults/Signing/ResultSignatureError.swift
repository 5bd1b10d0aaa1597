/// Why ``ResultSignature/verify(header:body:secret:tolerance:now:)`` rejected a webhook.
public struct ResultSignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case missingHeader
        case malformedHeader
        case timestampOutsideTolerance
        case signatureMismatch
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// No `X-Call-Signature` header.
    public static let missingHeader = ResultSignatureError(.missingHeader)
    /// The header is not `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`.
    public static let malformedHeader = ResultSignatureError(.malformedHeader)
    /// The timestamp is too old or in the future (a replay, or a badly wrong clock).
    public static let timestampOutsideTolerance = ResultSignatureError(.timestampOutsideTolerance)
    /// No signature matches: the body was changed, or the secret is wrong.
    public static let signatureMismatch = ResultSignatureError(.signatureMismatch)

    public var description: String {
        switch code {
        case .missingHeader: "missing X-Call-Signature header"
        case .malformedHeader: "malformed X-Call-Signature header"
        case .timestampOutsideTolerance: "signature timestamp outside the tolerance (replayed or stale)"
        case .signatureMismatch: "signature does not match the body"
        }
    }
}
