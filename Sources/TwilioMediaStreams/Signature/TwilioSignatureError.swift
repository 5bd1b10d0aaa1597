/// Why a request failed `X-Twilio-Signature` validation. Answer with 403 and log it.
public enum TwilioSignatureError: Error, Sendable, Hashable {
    /// The request has no `X-Twilio-Signature` header (or it is empty).
    case missingSignature
    /// The signature is not valid base64 or does not match the URL and parameters.
    case signatureMismatch
    /// A JSON-body webhook whose URL has no `bodySHA256` query parameter.
    case missingBodyHash
    /// `bodySHA256` does not equal the SHA-256 of the body.
    case bodyHashMismatch
}
