import Crypto
import Foundation

/// The signature of a post-call webhook, in the scheme Stripe and others use:
///
///     X-Call-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
///
/// `t` is the sending time (Unix seconds); `v1` is the lowercase hex HMAC-SHA256, keyed with
/// the shared secret (`RESULT_WEBHOOK_SECRET`), of `"<t>." + body` (the raw request body).
/// A receiver recomputes it with ``verify(header:body:secret:tolerance:now:)``, which also
/// rejects timestamps outside a tolerance so a captured request cannot be replayed later.
/// During a secret rotation a sender may send several `v1` values; one match is enough.
public enum ResultSignature {
    /// The header name.
    public static let headerName = "X-Call-Signature"
    /// Default replay window.
    public static let defaultTolerance: Duration = .seconds(300)

    /// The header value for `body` sent at `timestamp`.
    public static func header(body: some DataProtocol, secret: String, timestamp: Date) -> String {
        let seconds = Int64(timestamp.timeIntervalSince1970.rounded(.down))
        let code = HMAC<SHA256>.authenticationCode(for: signedPayload(seconds: seconds, body: body), using: key(secret))
        return "t=\(seconds),v1=" + code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Checks a received webhook.
    /// - Parameters:
    ///   - header: The `X-Call-Signature` value (nil when absent).
    ///   - body: The raw request body, exactly as received.
    ///   - secret: The shared secret.
    ///   - tolerance: Largest accepted distance between `t` and `now`.
    ///   - now: The receiver's clock.
    /// - Throws: ``ResultSignatureError``.
    public static func verify(
        header: String?,
        body: some DataProtocol,
        secret: String,
        tolerance: Duration = defaultTolerance,
        now: Date = Date()
    ) throws(ResultSignatureError) {
        guard let header else { throw .missingHeader }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { throw .malformedHeader }
            switch pair[0] {
            case "t":
                guard timestamp == nil, let value = Int64(pair[1]) else { throw .malformedHeader }
                timestamp = value
            case "v1":
                guard let bytes = hexBytes(pair[1]), bytes.count == SHA256.byteCount else { throw .malformedHeader }
                signatures.append(bytes)
            default:
                continue  // other schemes, ignored
            }
        }
        guard let timestamp, !signatures.isEmpty else { throw .malformedHeader }
        let age = now.timeIntervalSince1970 - Double(timestamp)
        let limit = Double(tolerance.components.seconds) + Double(tolerance.components.attoseconds) / 1e18
        guard abs(age) <= limit else { throw .timestampOutsideTolerance }
        let payload = signedPayload(seconds: timestamp, body: body)
        let signingKey = key(secret)
        guard signatures.contains(where: { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: payload, using: signingKey) }) else {
            throw .signatureMismatch
        }
    }

    static func signedPayload(seconds: Int64, body: some DataProtocol) -> [UInt8] {
        var payload = Array("\(seconds).".utf8)
        payload.append(contentsOf: body)
        return payload
    }

    static func key(_ secret: String) -> SymmetricKey {
        SymmetricKey(data: Array(secret.utf8))
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
