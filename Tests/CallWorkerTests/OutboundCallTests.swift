import CallEngine
import CallResults
import CallTesting
import CallWorker
import Foundation
import NIOHTTP1
import SpeechServices
import Testing
import TwilioMediaStreams
import TwilioREST

/// Outbound calls end to end offline: the Twilio fake places and runs the call (signed voice
/// webhook to the worker, signed media stream), the worker transfers it with a REST redirect,
/// places calls for `/attach`, and handles answering machines.
@Suite(.timeLimit(.minutes(2)))
struct OutboundCallTests {
    static let publicHost = "worker.example"
    static let sales = "+15551230001"
    static let attachSecret = "attach-secret-0123456789"

    /// A worker whose Twilio REST access and signatures point at `fake`.
    static func harness(
        _ fake: TwilioFake, bots: [String: CallEngineConfiguration] = ["demo": WorkerHarness.botConfiguration()],
        options: [String: BotCallOptions] = [:], attachSecret: String? = OutboundCallTests.attachSecret, capacity: Int = 2
    ) -> WorkerHarness {
        WorkerHarness(
            maximumConcurrentCalls: capacity, twilioAuthToken: fake.configuration.authToken, publicHost: publicHost, bots: bots, options: options,
            twilio: WorkerTwilioSettings(
                credentials: .authToken(accountSID: fake.configuration.accountSID, authToken: fake.configuration.authToken),
                rest: TwilioRESTConfiguration(baseURL: fake.baseURL, requestTimeout: .seconds(5)), fromNumber: "+15017122661"),
            attachSecret: attachSecret)
    }

    static let transferOptions = BotCallOptions(transfer: .init(number: "+15551230000", targets: ["sales": sales], callerId: "+15017122661"))

    /// The model says a line, then calls `transfer_call`.
    static func lineThenTransfer(_ line: String, target: String) -> ScriptedResponse<LLMEvent> {
        let arguments = #"{"target":"\#(target)"}"#
        var events: [LLMEvent] = line.split(separator: " ").map { .textDelta(String($0) + " ") }
        events += [
            .toolCallDelta(ToolCallDelta(index: 0, id: "call_t", name: "transfer_call", argumentsFragment: arguments)),
            .toolCall(ToolCall(id: "call_t", name: "transfer_call", argumentsJSON: arguments)),
            .finished(.toolCalls),
        ]
        return ScriptedResponse(elements: events)
    }

    /// A person who waits for the greeting, then asks for sales.
    static let asksForSales: TwilioFakeBehavior.StreamScript = { caller in
        _ = try await caller.waitInSilence { $0.echoes.count >= 1 && $0.queuedByteCount == 0 }
        try await caller.play(SyntheticCallerAudio.speech(seconds: 1.2))
    }

    /// Places a call from the test (as a dialler would) whose TwiML comes from the worker's webhook.
    static func placeCall(_ fake: TwilioFake, to: String, bot: String = "demo", machineDetection: Bool = false) async throws -> String {
        let client = TwilioRESTClient(
            credentials: .authToken(accountSID: fake.configuration.accountSID, authToken: fake.configuration.authToken),
            configuration: TwilioRESTConfiguration(baseURL: fake.baseURL))
        return try await client.createCall(TwilioCreateCallRequest(
            to: to, from: "+15017122661", instructions: .url("https://\(publicHost)/twiml/\(bot)"),
            machineDetection: machineDetection ? .detectMessageEnd : nil)).sid
    }

    @Test func transferCallSaysItsLineThenRedirectsWithDialAndRecordsTheTarget() async throws {
        try await TwilioFake.withRunningFake { fake in
            fake.script("+15558675310", .human(script: Self.asksForSales))
            let harness = Self.harness(fake, options: ["demo": Self.transferOptions])
            harness.stt.enqueue(ScriptedSpeechToText.transcript("Can I talk to sales?"))
            harness.llm.enqueue(Self.lineThenTransfer("Sure, connecting you to our sales team now.", target: "sales"))
            let (sid, results) = try await harness.run { port in
                fake.route(host: Self.publicHost, toPort: port)
                let sid = try await Self.placeCall(fake, to: "+15558675310")
                return (sid, await harness.sink.waitForResults(1))
            }
            let call = try #require(await fake.waitUntilEnded(sid))
            #expect(call.errors.isEmpty)
            #expect(call.dialed == Self.sales && call.dialCallerID == "+15017122661")
            #expect(call.streamEnd == .redirected)
            // The redirect: one update of this call with a <Dial> to the configured number,
            // sent after the agent's line had played (nothing queued, every mark echoed, no
            // agent audio after it).
            let updates = fake.requests.filter { $0.callSID == sid && $0.path.hasSuffix("/Calls/\(sid).json") }
            #expect(updates.count == 1)
            let update = try #require(updates.first)
            let twiml = try #require(update.value("Twiml"))
            #expect(twiml.contains("<Dial callerId=\"+15017122661\"><Number>\(Self.sales)</Number></Dial>"))
            let heard = try #require(update.callerSnapshot)
            #expect(heard.queuedBytes == 0 && heard.pendingMarks == 0)
            #expect(heard.playedMarks >= 2)  // the greeting and the line
            #expect(heard.playedBytes == call.agentAudio.count)
            let result = try #require(results.first)
            #expect(result.endReason == .transferred)
            #expect(result.transferTarget == Self.sales)
            let lines = result.transcript.compactMap { entry -> String? in
                if case .agent(let turn) = entry { return turn.playedText }
                return nil
            }
            #expect(lines.last == "Sure, connecting you to our sales team now.")
            // The line's audio is among what the caller heard before the redirect.
            let lineText = "Sure, connecting you to our sales team now."
            #expect(harness.tts.requests.contains { $0.text == lineText })
            #expect(heard.playedBytes >= (lineText.count * 10 + "Hi there.".count * 10) * 8)
        }
    }

    @Test func aFailedRedirectHangsUpWithATypedErrorInTheResult() async throws {
        try await TwilioFake.withRunningFake { fake in
            fake.script("+15558675310", .human(script: Self.asksForSales))
            let harness = Self.harness(
                fake, bots: ["demo": WorkerHarness.botConfiguration(), "plain": WorkerHarness.botConfiguration()],
                options: ["demo": Self.transferOptions, "plain": BotCallOptions()])
            harness.stt.enqueue(ScriptedSpeechToText.transcript("Can I talk to sales?"), ScriptedSpeechToText.transcript("Can I talk to sales?"))
            harness.llm.enqueue(Self.lineThenTransfer("One moment.", target: "sales"), Self.lineThenTransfer("One moment.", target: "sales"))
            let results = try await harness.run { port in
                fake.route(host: Self.publicHost, toPort: port)
                // Twilio refuses the redirect (429): the caller is hung up, not left hanging.
                _ = try await Self.placeCall(fake, to: "+15558675310")
                fake.rateLimitNext(1, retryAfter: "1")
                let first = await harness.sink.waitForResults(1)
                // A bot without transfer settings never dials what the model asked for.
                _ = try await Self.placeCall(fake, to: "+15558675310", bot: "plain")
                _ = first
                return await harness.sink.waitForResults(2)
            }
            #expect(results.count == 2)
            let refused = results[0]
            #expect(refused.endReason == .agentEnded)
            #expect(refused.transferTarget == Self.sales)
            #expect(refused.errors.contains { $0.hasPrefix("transfer_failed: redirect failed") })
            let plain = results[1]
            #expect(plain.endReason == .agentEnded && plain.transferTarget == nil)
            #expect(plain.errors.contains { $0.contains("no transfer destination") })
            let calls = await fake.wait { $0.count == 2 && $0.allSatisfy(\.isEnded) }
            #expect(calls.allSatisfy { !$0.transferred && $0.streamEnd == .closedByWorker })
        }
    }

    @Test func aRESTHangUpDuringTheStreamStopsItAndEndsTheCall() async throws {
        try await TwilioFake.withRunningFake { fake in
            let (greetings, greeted) = AsyncStream.makeStream(of: Void.self)
            fake.script("+15558675310", .human { caller in
                _ = try await caller.waitInSilence { $0.echoes.count >= 1 && $0.queuedByteCount == 0 }
                greeted.yield()
            })
            let harness = Self.harness(fake)
            let (sid, results) = try await harness.run { port in
                fake.route(host: Self.publicHost, toPort: port)
                let sid = try await Self.placeCall(fake, to: "+15558675310")
                for await _ in greetings { break }
                let client = TwilioRESTClient(
                    credentials: .authToken(accountSID: fake.configuration.accountSID, authToken: fake.configuration.authToken),
                    configuration: TwilioRESTConfiguration(baseURL: fake.baseURL))
                let record = try await client.hangUpCall(sid: sid)
                #expect(record.sid == sid)
                return (sid, await harness.sink.waitForResults(1))
            }
            let call = try #require(await fake.waitUntilEnded(sid))
            #expect(call.streamEnd == .hungUp && call.status == .completed && !call.transferred)
            #expect(results.first?.endReason == .callerHungUp)
            #expect(fake.requests.last?.value("Status") == "completed")
            #expect(fake.liveCallCount == 0 && fake.maximumLiveCallCount == 1)
        }
    }
}
