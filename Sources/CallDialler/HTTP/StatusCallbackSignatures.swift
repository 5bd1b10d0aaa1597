import TwilioMediaStreams

/// Which auth token verifies a status callback. Twilio signs a callback with the auth token of
/// the account that owns the call, so with several accounts the form's `AccountSid` picks the
/// token; a forged `AccountSid` only picks a token the forger does not have. A callback for an
/// account without a token is refused (fails closed).
public struct StatusCallbackSignatures: Sendable {
    private enum Tokens: Sendable {
        case any(TwilioSignatureValidator)
        case byAccount([String: TwilioSignatureValidator])
    }

    private let tokens: Tokens

    /// One token for every callback (a dialler of one account).
    public init(authToken: String) {
        tokens = .any(TwilioSignatureValidator(authToken: authToken))
    }

    /// A token per account SID.
    public init(authTokensByAccount: [String: String]) {
        tokens = .byAccount(authTokensByAccount.mapValues { TwilioSignatureValidator(authToken: $0) })
    }

    /// Verifies `signature` for `url` and the form, with the token of the form's `AccountSid`.
    /// - Throws: ``TwilioSignatureError``; ``TwilioSignatureError/signatureMismatch`` also for
    ///   an account without a token.
    public func validate(signature: String?, url: String, form: [String: [String]]) throws(TwilioSignatureError) {
        switch tokens {
        case .any(let validator):
            try validator.validate(signature: signature, url: url, parameters: form)
        case .byAccount(let validators):
            guard signature?.isEmpty == false else { throw .missingSignature }
            guard let account = form["AccountSid"]?.first, let validator = validators[account] else { throw .signatureMismatch }
            try validator.validate(signature: signature, url: url, parameters: form)
        }
    }
}
