import CallDialler
import CallTesting
import Foundation
import Testing
import TwilioMediaStreams
import TwilioREST

/// The dialler's carrier adapter against the Twilio REST fake: the request Twilio gets, and
/// what each Twilio failure tells the dialler to do.
@Suite(.timeLimit(.minutes(2)))
struct TwilioCallPlacerTests {
    static let reservation = "6F9619FF-8B86-D011-B42D-00C04FC964FF"

    static func request(to: String, streamURL: String = "wss://w1.fleet.example/ws/sales") -> OutboundCallRequest {
        OutboundCallRequest(
            to: to, from: "+15550001111", account: "AC" + String(repeating: "0", count: 31) + "1",
            streamURL: streamURL,
            streamParameters: ["reservation_id": reservation, "lead_id": "lead-7", "bot": "sales"],
            statusCallbackURL: "http://127.0.0.1:9/twilio/status", machineDetection: true, ringTimeout: .seconds(25))
    }

    static func placer(_ fake: TwilioFake, token: String = "fake-auth-token") -> TwilioCallPlacer {
        let credentials = TwilioCredentials.authToken(accountSID: "AC" + String(repeating: "0", count: 31) + "1", authToken: token)
        return TwilioCallPlacer(client: TwilioRESTClient(credentials: credentials, configuration: TwilioRESTConfiguration(baseURL: fake.baseURL)))
    }

    @Test func theTwiMLURLIsTheReservedWorkersWithTheStreamParameters() {
        #expect(TwilioCallPlacer.twimlURL(streamURL: "wss://w1.fleet.example/ws/sales", parameters: ["reservation_id": "r1", "lead_id": "l 1"])
            == "https://w1.fleet.example/twiml/sales?lead_id=l%201&reservation_id=r1")
        #expect(TwilioCallPlacer.twimlURL(streamURL: "ws://127.0.0.1:8080/ws/demo", parameters: [:]) == "http://127.0.0.1:8080/twiml/demo")
        for bad in ["https://w1/ws/sales", "wss://w1/ws", "wss://w1/ws/a/b", "wss:///ws/a", "wss://w1/twiml/a", "not a url"] {
            #expect(TwilioCallPlacer.twimlURL(streamURL: bad, parameters: [:]) == nil, "\(bad)")
        }
    }

    @Test func aCallIsCreatedWithTheWorkersTwiMLURLCallbacksAndMachineDetection() async throws {
        try await TwilioFake.withRunningFake { fake in
            fake.script("+15558675310", .busy)
            let placed = try await Self.placer(fake).placeCall(Self.request(to: "+15558675310"))
            #expect(TwilioSID.isValid(placed.callSID, kind: .call))
            let create = try #require(fake.requests.first { $0.method == "POST" && $0.path.hasSuffix("/Calls.json") })
            func values(_ name: String) -> [String] { create.form.filter { $0.name == name }.map(\.value) }
            #expect(create.authenticated)
            #expect(values("To") == ["+15558675310"] && values("From") == ["+15550001111"])
            #expect(values("Url") == ["https://w1.fleet.example/twiml/sales?bot=sales&lead_id=lead-7&reservation_id=\(Self.reservation)"])
            #expect(values("Twiml").isEmpty)
            #expect(values("StatusCallback") == ["http://127.0.0.1:9/twilio/status"])
            #expect(Set(values("StatusCallbackEvent")) == ["initiated", "ringing", "answered", "completed"])
            #expect(values("MachineDetection") == ["Enable"])
            #expect(values("Timeout") == ["25"])
        }
    }

    @Test func twilioFailuresMapToWhatTheDiallerDoesWithTheLead() async throws {
        try await TwilioFake.withRunningFake { fake in
            fake.script("+15550000021", .invalidNumber(code: 21211))
            let placer = Self.placer(fake)
            // Invalid number: the lead fails with Twilio's code.
            do throws(CallPlacementError) {
                _ = try await placer.placeCall(Self.request(to: "+15550000021"))
                Issue.record("expected invalidNumber")
            } catch {
                #expect(error == .invalidNumber(code: 21211, message: error.invalidNumberMessage))
            }
            // 429 with Retry-After: slow down, the attempt does not count.
            fake.rateLimitNext(1, retryAfter: "2")
            do throws(CallPlacementError) {
                _ = try await placer.placeCall(Self.request(to: "+15558675310"))
                Issue.record("expected rateLimited")
            } catch {
                #expect(error == .rateLimited(retryAfter: .seconds(2)))
            }
            // Wrong credentials: the campaign pauses.
            do throws(CallPlacementError) {
                _ = try await Self.placer(fake, token: "wrong-token").placeCall(Self.request(to: "+15558675310"))
                Issue.record("expected authentication")
            } catch {
                guard case .authentication = error else { Issue.record("\(error)"); return }
            }
            // A stream URL that is not a worker's: refused before anything is sent.
            let before = fake.requests.count
            do throws(CallPlacementError) {
                _ = try await placer.placeCall(Self.request(to: "+15558675310", streamURL: "https://w1/ws/sales"))
                Issue.record("expected transient")
            } catch {
                guard case .transient = error else { Issue.record("\(error)"); return }
            }
            #expect(fake.requests.count == before)
        }
    }
}

extension CallPlacementError {
    /// The message of an ``invalidNumber(code:message:)`` (to compare the code alone).
    var invalidNumberMessage: String {
        if case .invalidNumber(_, let message) = self { return message }
        return ""
    }
}
