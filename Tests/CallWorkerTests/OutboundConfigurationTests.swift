import CallEngine
import CallTesting
import CallWorker
import Foundation
import Testing
import TwilioCallAdapter
import TwilioREST

/// Environment, bots file and result fields of the outbound features.
@Suite(.timeLimit(.minutes(2)))
struct OutboundConfigurationTests {
    static let account = "AC" + String(repeating: "0", count: 31) + "7"
    static let base = ["TWILIO_SIGNATURES": "off"]

    static func configuration(_ extra: [String: String]) throws(WorkerConfigurationError) -> WorkerConfiguration {
        try WorkerConfiguration.fromEnvironment(base.merging(extra) { $1 })
    }

    @Test func twilioRESTCredentialsFromTheEnvironment() throws {
        #expect(try Self.configuration([:]).twilio == nil)
        let token = try #require(try Self.configuration(["TWILIO_ACCOUNT_SID": Self.account, "TWILIO_AUTH_TOKEN": "tok"]).twilio)
        #expect(token.credentials == .authToken(accountSID: Self.account, authToken: "tok"))
        #expect(token.rest.baseURL == "https://api.twilio.com")
        let key = try #require(try Self.configuration([
            "TWILIO_ACCOUNT_SID": Self.account, "TWILIO_API_KEY": "SK1", "TWILIO_API_SECRET": "sec",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9999", "TWILIO_FROM_NUMBER": "+15017122661", "ATTACH_SECRET": "0123456789abcdef",
        ]).twilio)
        #expect(key.credentials == .apiKey(accountSID: Self.account, keySID: "SK1", secret: "sec"))
        #expect(key.rest.baseURL == "http://127.0.0.1:9999" && key.fromNumber == "+15017122661")
        let summary = try Self.configuration(["TWILIO_ACCOUNT_SID": Self.account, "TWILIO_AUTH_TOKEN": "tok", "ATTACH_SECRET": "0123456789abcdef"]).description
        #expect(!summary.contains("tok,") && !summary.contains("0123456789abcdef"))

        let refused: [([String: String], String)] = [
            (["TWILIO_ACCOUNT_SID": "AC12"], "TWILIO_ACCOUNT_SID"),
            (["TWILIO_ACCOUNT_SID": Self.account], "TWILIO_AUTH_TOKEN"),
            (["TWILIO_ACCOUNT_SID": Self.account, "TWILIO_API_KEY": "SK1"], "TWILIO_API_SECRET"),
            (["TWILIO_ACCOUNT_SID": Self.account, "TWILIO_AUTH_TOKEN": "t", "TWILIO_API_BASE_URL": "ftp://x"], "TWILIO_API_BASE_URL"),
            (["TWILIO_ACCOUNT_SID": Self.account, "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "5551234"], "TWILIO_FROM_NUMBER"),
            (["TWILIO_API_KEY": "SK1"], "TWILIO_ACCOUNT_SID"),
            (["ATTACH_SECRET": "short"], "ATTACH_SECRET"),
        ]
        for (environment, name) in refused {
            #expect {
                try Self.configuration(environment)
            } throws: { error in
                guard case .invalidVariable(let variable, _) = error as? WorkerConfigurationError else { return false }
                return variable == name
            }
        }
    }

    @Test func botsFileTransferAndVoicemailAreCheckedAndRouted() throws {
        let json = #"""
        {"bots":[{"id":"sales","systemPrompt":"Sell.","transfer":{"number":"+15551230000","targets":{"support":"sip:help@pbx.example"},"callerId":"+15017122661","say":"Connecting."},
                  "voicemail":{"message":"Please call back.","policy":"leave"}}]}
        """#
        let file = try JSONDecoder().decode(BotCatalog.File.self, from: Data(json.utf8))
        let catalog = try BotCatalog(definitions: file.bots, recordingDirectory: nil)
        let options = catalog.callOptions(for: "sales")
        #expect(options.transferRoute(requestedTarget: "support")?.destination == "sip:help@pbx.example")
        #expect(options.transferRoute(requestedTarget: "support")?.twiml.contains("<Sip>sip:help@pbx.example</Sip>") == true)
        // The model cannot dial a number of its own: anything else goes to the default.
        let other = try #require(options.transferRoute(requestedTarget: "+19005550199"))
        #expect(other.destination == "+15551230000")
        #expect(other.twiml == #"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting.</Say><Dial callerId="+15017122661"><Number>+15551230000</Number></Dial><Hangup /></Response>"#)
        #expect(catalog.callOptions(for: "missing").transferRoute(requestedTarget: "x") == nil)
        #expect(options.machineAction(answeredBy: .machineEndBeep) == .leaveMessage("Please call back."))
        #expect(options.machineAction(answeredBy: .machineStart) == .hangUp)
        #expect(options.machineAction(answeredBy: .fax) == .hangUp)
        #expect(options.machineAction(answeredBy: .human) == .converse)
        #expect(options.machineAction(answeredBy: nil) == .converse)
        #expect(BotCallOptions(voicemail: .init(message: "m", policy: .hangup)).machineAction(answeredBy: .machineEndBeep) == .hangUp)

        for bad in [
            #"{"number":"5551230000"}"#, #"{"sip":"http://x"}"#, #"{}"#, #"{"number":"+15551230000","callerId":"x"}"#,
            #"{"number":"+15551230000","timeoutSeconds":1}"#,
        ] {
            let text = #"{"bots":[{"id":"b","systemPrompt":"p","transfer":"# + bad + "}]}"
            let bots = try JSONDecoder().decode(BotCatalog.File.self, from: Data(text.utf8)).bots
            #expect(throws: WorkerConfigurationError.self) { try BotCatalog(definitions: bots, recordingDirectory: nil) }
        }
        let leaveWithoutMessage = try JSONDecoder().decode(BotCatalog.File.self, from: Data(#"{"bots":[{"id":"b","systemPrompt":"p","voicemail":{"policy":"leave"}}]}"#.utf8)).bots
        #expect(throws: WorkerConfigurationError.self) { try BotCatalog(definitions: leaveWithoutMessage, recordingDirectory: nil) }
    }

    @Test func resultsWithoutTheNewFieldsStillDecode() throws {
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        var result = CallResult(
            identity: CallIdentity(callID: "CA1", streamID: "MZ1", botID: "b"), startedAt: now, endedAt: now, endReason: .transferred,
            transcript: [], lead: [:], turns: [], usage: CallUsage(), estimatedCost: 0, errors: [], providers: [:], phases: [], transferTarget: "+15551230000")
        let old = try result.jsonData()
        #expect(try CallResult.decode(old).answeredBy == nil)
        result.answeredBy = "machine_end_beep"
        result.voicemailLeft = true
        let decoded = try CallResult.decode(try result.jsonData())
        #expect(decoded.answeredBy == "machine_end_beep" && decoded.voicemailLeft == true && decoded.transferTarget == "+15551230000")
    }
}
