import CallEngine
import CallResults
import CallTesting
import CallWorker
import Foundation
import NIOHTTP1
import Testing
import TwilioMediaStreams
import TwilioREST

/// `POST /attach` (signed, idempotent by reservation id) and answering machines, through the
/// Twilio fake.
@Suite(.timeLimit(.minutes(2)))
struct AttachAndVoicemailTests {
    typealias Outbound = OutboundCallTests

    static func attachBody(reservation: UUID, to: String = "+15558675310", bot: String = "demo", lead: String = "lead-42") -> String {
        #"{"reservation_id":"\#(reservation.uuidString)","bot":"\#(bot)","to":"\#(to)","lead":{"id":"\#(lead)","name":"Ada","score":7}}"#
    }

    static func attach(port: Int, body: String, secret: String? = Outbound.attachSecret, timestamp: Date = Date()) async throws -> (status: Int, body: [String: Any]) {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let secret { headers.append((CallWorkerServer.attachSignatureHeader, ResultSignature.header(body: Data(body.utf8), secret: secret, timestamp: timestamp))) }
        let (status, text) = try await HTTP.request(.POST, "http://127.0.0.1:\(port)/attach", headers: headers, body: body)
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return (status, object)
    }

    /// A person who hears the greeting and hangs up when `release` yields.
    static func hearsGreetingThenHangsUp(_ release: AsyncStream<Void>, greeted: AsyncStream<Void>.Continuation) -> TwilioFakeBehavior.StreamScript {
        { caller in
            _ = try await caller.waitInSilence { $0.echoes.count >= 1 && $0.queuedByteCount == 0 }
            greeted.yield()
            for await _ in release { break }
            caller.stop()
        }
    }

    @Test func attachIsSignedIdempotentAndPlacesTheCallWithItsReservation() async throws {
        try await TwilioFake.withRunningFake { fake in
            let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
            let (greetings, greeted) = AsyncStream.makeStream(of: Void.self)
            fake.script("+15558675310", .human(script: Self.hearsGreetingThenHangsUp(release, greeted: greeted)))
            fake.script("+15550000021", .invalidNumber(code: 21211))
            let harness = Outbound.harness(fake, capacity: 1)
            let reservation = UUID()
            let body = Self.attachBody(reservation: reservation)
            let results = try await harness.run { port in
                fake.route(host: Outbound.publicHost, toPort: port)
                // Unsigned, forged, stale: 401, and no call is placed.
                let check1 = try await Self.attach(port: port, body: body, secret: nil).status
                #expect(check1 == 401)
                let check2 = try await Self.attach(port: port, body: body, secret: "another-secret-0123456789").status
                #expect(check2 == 401)
                let check3 = try await Self.attach(port: port, body: body, timestamp: Date().addingTimeInterval(-3600)).status
                #expect(check3 == 401)
                #expect(fake.calls.isEmpty)
                // Bad input: 400 / 404.
                let check4 = try await Self.attach(port: port, body: #"{"reservation_id":"nope"}"#).status
                #expect(check4 == 400)
                let check5 = try await Self.attach(port: port, body: Self.attachBody(reservation: UUID(), bot: "ghost")).status
                #expect(check5 == 404)

                // Twilio refuses an invalid number: 502 with Twilio's code.
                let invalid = try await Self.attach(port: port, body: Self.attachBody(reservation: UUID(), to: "+15550000021"))
                #expect(invalid.status == 502 && invalid.body["twilio_code"] as? Int == 21211)

                let first = try await Self.attach(port: port, body: body)
                #expect(first.status == 201)
                let sid = try #require(first.body["call_sid"] as? String)
                #expect(TwilioSID.isValid(sid, kind: .call))
                // The same request again (a retry): the same call, no second one.
                let again = try await Self.attach(port: port, body: body)
                #expect(again.status == 200 && again.body["call_sid"] as? String == sid)
                // The same reservation for another destination: conflict.
                let check6 = try await Self.attach(port: port, body: Self.attachBody(reservation: reservation, to: "+15558675311")).status
                #expect(check6 == 409)
                // The call reaches the worker's stream; the worker has 1 slot, so another attach is refused.
                // The call is live on the worker (the caller heard the greeting).
                for await _ in greetings { break }
                let full = try await Self.attach(port: port, body: Self.attachBody(reservation: UUID()))
                #expect(full.status == 503)
                releaseContinuation.yield()
                let results = await harness.sink.waitForResults(1)
                return results
            }
            #expect(fake.calls.count == 1)
            let call = try #require(fake.calls.first)
            let parameters = try #require(call.streamParameters)
            #expect(parameters["reservation_id"] == reservation.uuidString.lowercased())
            #expect(parameters["lead_id"] == "lead-42")
            #expect(parameters[StreamToken.parameterName] != nil)  // through the signed webhook
            let create = try #require(fake.requests.first { $0.responseStatus == 201 })
            #expect(create.value("Url") == "https://\(Outbound.publicHost)/twiml/demo?reservation_id=\(reservation.uuidString.lowercased())&lead_id=lead-42")
            #expect(create.values("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"])
            // The worker verified each callback it received (the last may arrive after it stopped).
            #expect(call.callbacks.count >= 3 && call.callbacks.prefix(3).allSatisfy { $0.responseStatus == 204 })
            let result = try #require(results.first)
            #expect(result.identity.callID == call.sid)
            #expect(result.identity.customParameters["lead_id"] == "lead-42")
            #expect(result.endReason == .callerHungUp)
        }
    }

    @Test func attachFailsClosedWithoutASecret() async throws {
        try await TwilioFake.withRunningFake { fake in
            let harness = Outbound.harness(fake, attachSecret: nil)
            let status = try await harness.run { port in
                try await Self.attach(port: port, body: Self.attachBody(reservation: UUID())).status
            }
            #expect(status == 403)
            #expect(fake.requests.isEmpty)
        }
    }

    @Test func forgedStatusCallbacksAreRefusedByTheWorker() async throws {
        try await TwilioFake.withRunningFake { fake in
            let harness = Outbound.harness(fake)
            let (unsigned, forged, signed) = try await harness.run { port in
                let url = "http://127.0.0.1:\(port)/twilio/status"
                let body = "CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=completed&SequenceNumber=3"
                let form = [("Content-Type", "application/x-www-form-urlencoded")]
                let unsigned = try await HTTP.request(.POST, url, headers: form, body: body).status
                let forged = try await HTTP.request(.POST, url, headers: form + [("X-Twilio-Signature", "AhL/coVVDaezsnfyt+8RvPJzils=")], body: body).status
                let signature = TwilioSignatureValidator(authToken: fake.configuration.authToken).signature(
                    url: "https://\(Outbound.publicHost)/twilio/status", parameters: TwilioSignatureValidator.formParameters(urlEncoded: body))
                let signed = try await HTTP.request(.POST, url, headers: form + [("X-Twilio-Signature", signature)], body: body).status
                return (unsigned, forged, signed)
            }
            #expect(unsigned == 403 && forged == 403 && signed == 204)
        }
    }

    static let voicemail = "Hi, this is Acme calling about your order. Please call us back."

    @Test(arguments: [BotCallOptions.Voicemail.Policy.leave, .hangup])
    func anAnsweringMachineGetsTheVoicemailOrAHangUpPerPolicy(policy: BotCallOptions.Voicemail.Policy) async throws {
        try await TwilioFake.withRunningFake { fake in
            fake.script("+15558675310", .machine(.machineEndBeep))
            let options = BotCallOptions(voicemail: .init(message: Self.voicemail, policy: policy))
            let harness = Outbound.harness(fake, options: ["demo": options])
            let results = try await harness.run { port in
                fake.route(host: Outbound.publicHost, toPort: port)
                let check7 = try await Self.attach(port: port, body: Self.attachBody(reservation: UUID())).status
                #expect(check7 == 201)
                return await harness.sink.waitForResults(1)
            }
            let calls = await fake.wait { $0.count == 1 && $0.allSatisfy(\.isEnded) }
            let call = try #require(calls.first)
            #expect(call.answeredBy == .machineEndBeep)
            #expect(call.streamParameters?["AnsweredBy"] == "machine_end_beep")
            #expect(call.streamEnd == .closedByWorker)
            let create = try #require(fake.requests.first)
            #expect(create.value("MachineDetection") == "DetectMessageEnd")
            let result = try #require(results.first)
            #expect(result.answeredBy == "machine_end_beep")
            #expect(result.endReason == .agentEnded)
            let agentLines = result.transcript.compactMap { entry -> String? in
                if case .agent(let turn) = entry { return turn.playedText }
                return nil
            }
            switch policy {
            case .leave:
                #expect(result.voicemailLeft == true)
                #expect(agentLines == [Self.voicemail])  // no greeting, only the message
                // The machine recorded the message: the scripted tone is 10 ms per character.
                #expect(call.agentAudio.count >= Self.voicemail.count * 10 * 8)
                #expect(harness.tts.requests.map(\.text) == [Self.voicemail])
            case .hangup:
                #expect(result.voicemailLeft == false)
                #expect(agentLines.isEmpty && call.agentAudio.isEmpty)
                #expect(harness.tts.requests.isEmpty)
            }
        }
    }

    @Test(arguments: [BotCallOptions.Voicemail.Policy.leave, .hangup])
    func anAsyncMachineResultDuringTheCallLeavesTheMessageOrHangsUp(policy: BotCallOptions.Voicemail.Policy) async throws {
        try await TwilioFake.withRunningFake { fake in
            fake.script("+15558675310", .machine(.machineEndBeep))
            let options = BotCallOptions(voicemail: .init(message: Self.voicemail, policy: policy))
            let harness = Outbound.harness(fake, options: ["demo": options])
            let (sid, results) = try await harness.run { port in
                fake.route(host: Outbound.publicHost, toPort: port)
                let client = TwilioRESTClient(
                    credentials: .authToken(accountSID: fake.configuration.accountSID, authToken: fake.configuration.authToken),
                    configuration: TwilioRESTConfiguration(baseURL: fake.baseURL))
                // Async detection: the call connects at once; the result reaches /twilio/status
                // while the greeting plays.
                let sid = try await client.createCall(TwilioCreateCallRequest(
                    to: "+15558675310", from: "+15017122661", instructions: .url("https://\(Outbound.publicHost)/twiml/demo"),
                    machineDetection: .detectMessageEnd, asyncAMD: true,
                    asyncAMDStatusCallback: "https://\(Outbound.publicHost)/twilio/status")).sid
                return (sid, await harness.sink.waitForResults(1))
            }
            // The worker answered the AMD callback (204) and the call ended.
            let calls = await fake.wait { calls in
                calls.contains { $0.sid == sid && $0.isEnded && $0.callbacks.contains { $0.callStatus == nil && $0.answeredBy == "machine_end_beep" && $0.responseStatus == 204 } }
            }
            let call = try #require(calls.first { $0.sid == sid })
            #expect(call.streamParameters?["AnsweredBy"] == nil)
            let result = try #require(results.first)
            #expect(result.answeredBy == "machine_end_beep")
            #expect(result.endReason == .agentEnded)
            switch policy {
            case .leave:
                // Redirected to Twilio's <Say> with the message, then hung up.
                #expect(call.streamEnd == .redirected && call.said == [Self.voicemail])
                #expect(result.voicemailLeft == true)
            case .hangup:
                #expect(call.streamEnd == .closedByWorker && call.said.isEmpty)
                #expect(result.voicemailLeft == false)
            }
        }
    }
}
