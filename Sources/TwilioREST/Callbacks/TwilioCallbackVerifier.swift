import TwilioMediaStreams

/// Checks and parses Twilio's status and AMD callbacks: the `X-Twilio-Signature` is verified
/// with ``TwilioSignatureValidator`` (the same validator the worker uses for its webhooks)
/// before a field is read. Fails closed.
public struct TwilioCallbackVerifier: Sendable {
    private let validator: TwilioSignatureValidator
    /// Largest accepted form body.
    public let maximumBodyBytes: Int

    /// Creates a verifier for the account's auth token.
    public init(authToken: String, maximumBodyBytes: Int = 64 * 1024) {
        validator = TwilioSignatureValidator(authToken: authToken)
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Verifies and parses one callback.
    /// - Parameters:
    ///   - url: The full URL Twilio requested (`https://` + your public host + path and query),
    ///     rebuilt from configuration, never from the `Host` header.
    ///   - signature: The `X-Twilio-Signature` header.
    ///   - body: The raw `application/x-www-form-urlencoded` body.
    /// - Throws: ``TwilioCallbackError``.
    public func event(url: String, signature: String?, body: String) throws(TwilioCallbackError) -> TwilioCallStatusEvent {
        guard body.utf8.count <= maximumBodyBytes else { throw .bodyTooLarge(limit: maximumBodyBytes) }
        let form = TwilioSignatureValidator.formParameters(urlEncoded: body)
        do throws(TwilioSignatureError) {
            try validator.validate(signature: signature, url: url, parameters: form)
        } catch {
            throw error == .missingSignature ? .unsigned : .forged
        }
        return try TwilioCallStatusEvent(form: form)
    }
}

/// SID shape checks used by the parsers.
enum TwilioSIDCheck {
    static func isCall(_ sid: String) -> Bool { TwilioSID.isValid(sid, kind: .call) }
}
