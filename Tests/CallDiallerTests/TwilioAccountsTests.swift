import CallDialler
import CallTesting
import Foundation
import Testing
import TwilioMediaStreams
import TwilioREST

/// One dialler, several Twilio accounts: the accounts file, calls placed with their campaign's
/// account, and status callbacks verified with the token of the account that owns the call.
@Suite(.timeLimit(.minutes(2)))
struct TwilioAccountsTests {
    static let first = "AC" + String(repeating: "0", count: 31) + "1"
    static let second = "AC" + String(repeating: "0", count: 31) + "2"
    /// An account no dialler in these tests has credentials for.
    static let third = "AC" + String(repeating: "0", count: 31) + "3"

    @Test func theAccountsFileGivesCredentialsTokensAndPaces() throws {
        let accounts = try TwilioAccountsFile.parse(Data("""
            [{"account_sid": "\(Self.first)", "auth_token": "token-1", "cps": 10, "api_base_url": "https://api.dublin.ie1.twilio.com"},
             {"account_sid": "\(Self.second)", "auth_token": "token-2", "api_key": "SK00000000000000000000000000000009", "api_secret": "key-secret"}]
            """.utf8))
        #expect(accounts.map(\.accountSID) == [Self.first, Self.second])
        #expect(accounts.map(\.authToken) == ["token-1", "token-2"])
        #expect(accounts.map(\.callsPerSecond) == [10, nil])
        #expect(accounts.map(\.apiBaseURL) == ["https://api.dublin.ie1.twilio.com", nil])
        #expect(accounts[0].credentials == .authToken(accountSID: Self.first, authToken: "token-1"))
        #expect(accounts[1].credentials == .apiKey(accountSID: Self.second, keySID: "SK00000000000000000000000000000009", secret: "key-secret"))
    }

    @Test(arguments: [
        (#"{"account_sid": "x"}"#, nil as Int?, "expected a JSON array"),
        (#"[{"account_sid": "AC1", "auth_token": "t0ken"}]"#, 0, "account_sid"),
        (#"[{"account_sid": "ACCOUNT", "auth_token": ""}]"#, 0, "account_sid"),
        (#"[{"account_sid": "\#(first)", "auth_token": ""}]"#, 0, "auth_token"),
        (#"[{"account_sid": "\#(first)", "auth_token": "t0ken", "cps": 0}]"#, 0, "cps"),
        (#"[{"account_sid": "\#(first)", "auth_token": "t0ken", "cps": -3}]"#, 0, "cps"),
        (#"[{"account_sid": "\#(first)", "auth_token": "t0ken", "cps": 1e300}]"#, 0, "cps"),
        (#"[{"account_sid": "\#(first)", "auth_token": "t0ken", "api_key": "SK1"}]"#, 0, "go together"),
        (#"[{"account_sid": "\#(first)", "auth_token": "t0ken", "api_key": "KEY", "api_secret": "s3cr3t"}]"#, 0, "api_key"),
        (#"[{"account_sid": "\#(first)", "auth_token": "t0ken", "api_base_url": "ftp://x"}]"#, 0, "api_base_url"),
        (#"[{"account_sid": "\#(first)", "auth_token": "t0ken"}, {"account_sid": "\#(first)", "auth_token": "t0ken-2"}]"#, 1, "twice"),
    ])
    /// The error names the entry and the field, never a token or secret.
    func aBadAccountsFileNamesTheEntryAndTheField(json: String, entry: Int?, message: String) {
        #expect {
            _ = try TwilioAccountsFile.parse(Data(json.utf8))
        } throws: { error in
            guard let error = error as? TwilioAccountsFileError else { return false }
            return error.entry == entry && error.message.contains(message) && !error.description.contains("t0ken") && !error.description.contains("s3cr3t")
        }
    }

    static func placer(_ fake: TwilioFake) -> TwilioCallPlacer {
        let credentials = TwilioCredentials.authToken(accountSID: fake.configuration.accountSID, authToken: fake.configuration.authToken)
        return TwilioCallPlacer(client: TwilioRESTClient(credentials: credentials, configuration: TwilioRESTConfiguration(baseURL: fake.baseURL)))
    }

    static func request(account: String, to: String) -> OutboundCallRequest {
        OutboundCallRequest(
            to: to, from: "+15550001111", account: account, streamURL: "wss://w1.fleet.example/ws/sales",
            streamParameters: ["reservation_id": UUID().uuidString, "lead_id": "lead-\(to)"],
            statusCallbackURL: "http://127.0.0.1:9/twilio/status", machineDetection: false, ringTimeout: .seconds(20))
    }

    @Test func eachCallIsPlacedWithItsCampaignsAccountAndAnUnknownAccountFailsClosed() async throws {
        try await TwilioFake.withRunningFake(configuration: .init(accountSID: Self.first, authToken: "token-1")) { one in
            try await TwilioFake.withRunningFake(configuration: .init(accountSID: Self.second, authToken: "token-2")) { two in
                one.script("+15550000101", .busy)
                two.script("+15550000202", .busy)
                let placer = AccountRoutedPlacer(placers: [Self.first: Self.placer(one), Self.second: Self.placer(two)])
                _ = try await placer.placeCall(Self.request(account: Self.first, to: "+15550000101"))
                _ = try await placer.placeCall(Self.request(account: Self.second, to: "+15550000202"))
                func creates(_ fake: TwilioFake) -> [String] {
                    fake.requests.filter { $0.method == "POST" && $0.path.hasSuffix("/Calls.json") && $0.authenticated }
                        .flatMap { $0.form.filter { $0.name == "To" }.map(\.value) }
                }
                #expect(creates(one) == ["+15550000101"])
                #expect(creates(two) == ["+15550000202"])
                do throws(CallPlacementError) {
                    _ = try await placer.placeCall(Self.request(account: Self.third, to: "+15550000303"))
                    Issue.record("placed a call for an account without credentials")
                } catch {
                    guard case .authentication = error else { throw error }
                }
                #expect(one.requests.count + two.requests.count == 2)
            }
        }
    }

    @Test func aCallbackIsVerifiedWithTheTokenOfTheAccountThatOwnsTheCall() {
        let signatures = StatusCallbackSignatures(authTokensByAccount: [Self.first: "token-1", Self.second: "token-2"])
        let url = "https://dialler.test/twilio/status?reservation_id=r1"
        func form(_ account: String) -> [String: [String]] {
            ["AccountSid": [account], "CallSid": ["CA" + String(repeating: "a", count: 32)], "CallStatus": ["completed"]]
        }
        func signed(_ token: String, _ form: [String: [String]]) -> String {
            TwilioSignatureValidator(authToken: token).signature(url: url, parameters: form)
        }
        func check(_ signature: String?, _ form: [String: [String]]) -> TwilioSignatureError? {
            do throws(TwilioSignatureError) {
                try signatures.validate(signature: signature, url: url, form: form)
                return nil
            } catch {
                return error
            }
        }
        #expect(check(signed("token-1", form(Self.first)), form(Self.first)) == nil)
        #expect(check(signed("token-2", form(Self.second)), form(Self.second)) == nil)
        // Another account's token, or an account this dialler has no token for: refused.
        #expect(check(signed("token-1", form(Self.second)), form(Self.second)) == .signatureMismatch)
        #expect(check(signed("token-1", form(Self.third)), form(Self.third)) == .signatureMismatch)
        var noAccount = form(Self.first)
        noAccount["AccountSid"] = nil
        #expect(check(signed("token-1", noAccount), noAccount) == .signatureMismatch)
        #expect(check(nil, form(Self.first)) == .missingSignature)
    }
}
