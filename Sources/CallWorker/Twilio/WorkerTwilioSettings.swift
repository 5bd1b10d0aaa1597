import Foundation
import TwilioMediaStreams
import TwilioREST

/// The worker's Twilio REST access, from the environment:
///
/// | variable | meaning |
/// |---|---|
/// | `TWILIO_ACCOUNT_SID` | the account (`AC…`); turns REST access on (transfers, `/attach`) |
/// | `TWILIO_AUTH_TOKEN` | the auth token (also checks signatures); Basic-auth password unless an API key is set |
/// | `TWILIO_API_KEY`, `TWILIO_API_SECRET` | an API key SID (`SK…`) and its secret, used instead of the auth token (both or neither) |
/// | `TWILIO_API_BASE_URL` | REST base URL (default `https://api.twilio.com`; a local fake in tests) |
/// | `TWILIO_FROM_NUMBER` | caller id of calls placed by `/attach` when the request names none |
/// | `ATTACH_SECRET` | HMAC secret of `POST /attach` (`X-Attach-Signature`); without it the route refuses everything |
public struct WorkerTwilioSettings: Sendable {
    /// REST credentials.
    public var credentials: TwilioCredentials
    /// REST endpoint and limits.
    public var rest: TwilioRESTConfiguration
    /// Default `From` for `/attach`.
    public var fromNumber: String?

    /// Creates settings.
    public init(credentials: TwilioCredentials, rest: TwilioRESTConfiguration = .init(), fromNumber: String? = nil) {
        self.credentials = credentials
        self.rest = rest
        self.fromNumber = fromNumber
    }

    /// Reads the settings; nil when `TWILIO_ACCOUNT_SID` is not set.
    /// - Throws: ``WorkerConfigurationError/invalidVariable(name:reason:)``.
    static func fromEnvironment(_ value: (String) -> String?, authToken: String?) throws(WorkerConfigurationError) -> WorkerTwilioSettings? {
        guard let account = value("TWILIO_ACCOUNT_SID") else {
            for name in ["TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_API_BASE_URL", "TWILIO_FROM_NUMBER"] where value(name) != nil {
                throw .invalidVariable(name: "TWILIO_ACCOUNT_SID", reason: "required with \(name)")
            }
            return nil
        }
        guard TwilioSID.isValid(account, kind: .account) else {
            throw .invalidVariable(name: "TWILIO_ACCOUNT_SID", reason: "expected AC followed by 32 hex digits")
        }
        let credentials: TwilioCredentials
        switch (value("TWILIO_API_KEY"), value("TWILIO_API_SECRET")) {
        case (let key?, let secret?):
            credentials = .apiKey(accountSID: account, keySID: key, secret: secret)
        case (nil, nil):
            guard let authToken else {
                throw .invalidVariable(name: "TWILIO_AUTH_TOKEN", reason: "required with TWILIO_ACCOUNT_SID unless TWILIO_API_KEY and TWILIO_API_SECRET are set")
            }
            credentials = .authToken(accountSID: account, authToken: authToken)
        case (nil, _):
            throw .invalidVariable(name: "TWILIO_API_KEY", reason: "required with TWILIO_API_SECRET")
        case (_, nil):
            throw .invalidVariable(name: "TWILIO_API_SECRET", reason: "required with TWILIO_API_KEY")
        }
        var rest = TwilioRESTConfiguration()
        if let base = value("TWILIO_API_BASE_URL") {
            guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
                throw .invalidVariable(name: "TWILIO_API_BASE_URL", reason: "expected an absolute http(s) URL")
            }
            rest = TwilioRESTConfiguration(baseURL: base)
        }
        let from = value("TWILIO_FROM_NUMBER")
        if let from, !BotCallOptions.isE164(from) {
            throw .invalidVariable(name: "TWILIO_FROM_NUMBER", reason: "expected an E.164 number (+ and 8-15 digits)")
        }
        return WorkerTwilioSettings(credentials: credentials, rest: rest, fromNumber: from)
    }
}
