import Foundation
import TwilioMediaStreams
import TwilioREST

/// One Twilio account a dialler places calls with: its REST credentials, the auth token its
/// status callbacks are signed with, and its calls-per-second limit. A campaign names its
/// account by SID (``Campaign/account``).
public struct TwilioAccount: Sendable, Hashable {
    /// REST credentials (the auth token, or an API key and secret).
    public var credentials: TwilioCredentials
    /// The account's auth token: Twilio signs the account's callbacks with it, also when calls
    /// are created with an API key.
    public var authToken: String
    /// Calls per second this account may start (nil: the dialler's default).
    public var callsPerSecond: Double?
    /// The REST API's base URL for this account, e.g. a regional edge
    /// (`https://api.dublin.ie1.twilio.com`); nil: the dialler's (`TWILIO_API_BASE_URL` or Twilio's).
    public var apiBaseURL: String?

    /// The account SID (`AC…`).
    public var accountSID: String { credentials.accountSID }

    /// Creates an account.
    public init(credentials: TwilioCredentials, authToken: String, callsPerSecond: Double? = nil, apiBaseURL: String? = nil) {
        self.credentials = credentials
        self.authToken = authToken
        self.callsPerSecond = callsPerSecond
        self.apiBaseURL = apiBaseURL
    }
}

/// A bad accounts file (``TwilioAccountsFile``): what is wrong, and in which entry.
public struct TwilioAccountsFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The entry's index in the array (nil: the file as a whole).
    public var entry: Int?
    /// What is wrong.
    public var message: String

    public var description: String {
        entry.map { "accounts file entry \($0): \(message)" } ?? "accounts file: \(message)"
    }
}

/// The accounts a dialler places calls with, read from JSON (`--accounts-file` /
/// `TWILIO_ACCOUNTS_FILE`): an array of objects with `account_sid`, `auth_token`, optionally
/// `api_key` with `api_secret` (REST calls then use the key; callbacks are still verified with
/// the auth token), `cps` (calls per second) and `api_base_url` (the account's regional REST
/// endpoint). Secrets are not echoed in errors.
///
/// ```json
/// [{"account_sid": "AC…", "auth_token": "…", "cps": 10},
///  {"account_sid": "AC…", "auth_token": "…", "api_key": "SK…", "api_secret": "…"}]
/// ```
public enum TwilioAccountsFile {
    /// Highest `cps` accepted (Twilio sells up to a few hundred per account).
    public static let maximumCallsPerSecond = 1000.0

    private struct Entry: Decodable {
        var accountSID: String
        var authToken: String
        var apiKey: String?
        var apiSecret: String?
        var cps: Double?
        var apiBaseURL: String?

        enum CodingKeys: String, CodingKey {
            case accountSID = "account_sid", authToken = "auth_token", apiKey = "api_key", apiSecret = "api_secret", cps
            case apiBaseURL = "api_base_url"
        }
    }

    /// Parses and checks the file: SID shapes, a non-empty token, key and secret together, a
    /// finite positive `cps` up to ``maximumCallsPerSecond``, each account once.
    public static func parse(_ data: Data) throws(TwilioAccountsFileError) -> [TwilioAccount] {
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode([Entry].self, from: data)
        } catch {
            throw TwilioAccountsFileError(
                entry: nil, message: "expected a JSON array of {account_sid, auth_token, api_key?, api_secret?, cps?, api_base_url?}")
        }
        var accounts: [TwilioAccount] = []
        var seen: Set<String> = []
        for (index, entry) in entries.enumerated() {
            func fail(_ message: String) -> TwilioAccountsFileError { TwilioAccountsFileError(entry: index, message: message) }
            guard TwilioSID.isValid(entry.accountSID, kind: .account) else { throw fail("account_sid: expected AC followed by 32 hex digits") }
            guard seen.insert(entry.accountSID).inserted else { throw fail("account \(entry.accountSID) is listed twice") }
            guard !entry.authToken.isEmpty, entry.authToken.utf8.count <= 256 else { throw fail("auth_token: expected 1 to 256 bytes") }
            if let cps = entry.cps, !(cps.isFinite && cps > 0 && cps <= maximumCallsPerSecond) {
                throw fail("cps: expected a number above 0 and at most \(Int(maximumCallsPerSecond))")
            }
            if let base = entry.apiBaseURL {
                guard let url = URLComponents(string: base), url.scheme == "https" || url.scheme == "http", url.host?.isEmpty == false else {
                    throw fail("api_base_url: expected an http(s) URL")
                }
            }
            let credentials: TwilioCredentials
            switch (entry.apiKey, entry.apiSecret) {
            case (let key?, let secret?):
                guard key.hasPrefix("SK"), key.utf8.count <= 64, !secret.isEmpty else { throw fail("api_key: expected SK…, with a non-empty api_secret") }
                credentials = .apiKey(accountSID: entry.accountSID, keySID: key, secret: secret)
            case (nil, nil):
                credentials = .authToken(accountSID: entry.accountSID, authToken: entry.authToken)
            default:
                throw fail("api_key and api_secret go together")
            }
            accounts.append(TwilioAccount(credentials: credentials, authToken: entry.authToken, callsPerSecond: entry.cps, apiBaseURL: entry.apiBaseURL))
        }
        return accounts
    }
}
