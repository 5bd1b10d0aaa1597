import Foundation

/// Who a ``TwilioRESTClient`` authenticates as (HTTP Basic auth).
///
/// The account SID always stays in the request path; the Basic-auth user is the account SID
/// (with its auth token) or an API key SID (with its secret). Secrets never appear in
/// `description`.
public struct TwilioCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The account (`AC…`), part of every request path.
    public let accountSID: String
    /// The Basic-auth user: the account SID or an API key SID (`SK…`).
    public let username: String
    private let password: String

    /// Account SID + auth token.
    public static func authToken(accountSID: String, authToken: String) -> TwilioCredentials {
        TwilioCredentials(accountSID: accountSID, username: accountSID, password: authToken)
    }

    /// API key SID + secret; requests still go to `accountSID`'s resources.
    public static func apiKey(accountSID: String, keySID: String, secret: String) -> TwilioCredentials {
        TwilioCredentials(accountSID: accountSID, username: keySID, password: secret)
    }

    private init(accountSID: String, username: String, password: String) {
        self.accountSID = accountSID
        self.username = username
        self.password = password
    }

    /// `Basic base64(user:password)`.
    public var authorizationHeader: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// Whether `header` (an `Authorization` value) carries exactly these credentials.
    public func matches(authorizationHeader header: String?) -> Bool {
        guard let header else { return false }
        let expected = Array(authorizationHeader.utf8)
        let given = Array(header.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }

    public var description: String {
        username == accountSID ? "account \(accountSID) (auth token)" : "account \(accountSID) (API key \(username))"
    }
}
