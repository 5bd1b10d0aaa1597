import CallEngine
import CallTesting
import CallWorker
import Foundation
import HTTPTypes
import Testing
import TwilioMediaStreams

/// End-to-end calls over real sockets on 127.0.0.1: Hummingbird worker, WebSocket client,
/// Twilio caller simulator, scripted providers.
@Suite(.timeLimit(.minutes(2)))
struct WorkerCallTests {
    @Test func simulatedCallCompletesWithTranscriptAndDeliveredResult() async throws {
        let harness = WorkerHarness()
        harness.stt.enqueue(ScriptedSpeechToText.transcript("I would like to book a table for two."))
        harness.llm.enqueue(ScriptedLanguageModel.reply("Sure, for what time?"))
        let (simulator, results) = try await harness.run { port in
            let simulator = try await TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(1111)) { caller in
                caller.connectedAndStart()
                // The greeting plays and its mark echoes.
                let heard1 = try await caller.waitInSilence { $0.echoes.count >= 1 && $0.queuedByteCount == 0 }
                #expect(heard1)
                try await caller.play(SyntheticCallerAudio.speech(seconds: 1.2))
                // The reply plays to the end.
                let heard2 = try await caller.waitInSilence { $0.echoes.count >= 2 && $0.queuedByteCount == 0 && $0.pendingMarkNames.isEmpty }
                #expect(heard2)
                caller.stop()
            }
            return (simulator, await harness.sink.waitForResults(1))
        }
        let result = try #require(results.first)
        #expect(result.identity.callID == TestSID.call(1111))
        #expect(result.identity.botID == "demo")
        #expect(result.identity.customParameters["From"] == "+15550100")
        #expect(result.endReason == .callerHungUp)
        let callerTexts = result.transcript.compactMap { entry -> String? in
            if case .caller(let turn) = entry { return turn.text }
            return nil
        }
        let agentTexts = result.transcript.compactMap { entry -> String? in
            if case .agent(let turn) = entry { return turn.playedText }
            return nil
        }
        #expect(callerTexts == ["I would like to book a table for two."])
        #expect(agentTexts == ["Hi there.", "Sure, for what time?"])
        #expect(simulator.clearsReceived == 0)
        #expect(simulator.echoes.allSatisfy { !$0.flushed })
        #expect(simulator.playedByteCount > 0 && simulator.playedByteCount % 160 == 0)
        let metrics = harness.server.statistics.document()
        #expect(metrics.calls.completed == 1)
        #expect(metrics.errors.badMessages == 0)
    }

    @Test func bargeInSendsClearAndKeepsOnlyWhatWasPlayed() async throws {
        let harness = WorkerHarness(bots: ["demo": WorkerHarness.botConfiguration(greeting: nil)])
        harness.stt.enqueue(
            ScriptedSpeechToText.transcript("Tell me about your opening hours."),
            ScriptedSpeechToText.transcript("Stop, that is enough.")
        )
        let longReply = "We are open every day from nine in the morning. " + String(repeating: "There is much more to say about it. ", count: 8)
        harness.llm.enqueue(ScriptedLanguageModel.reply(longReply), ScriptedLanguageModel.reply("Okay."))
        let (simulator, results) = try await harness.run { port in
            let simulator = try await TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(2222)) { caller in
                caller.connectedAndStart()
                try await caller.play(SyntheticCallerAudio.silence(seconds: 0.3))
                try await caller.play(SyntheticCallerAudio.speech(seconds: 1.2))
                // Wait until the long reply is audible, then talk over it.
                let heard3 = try await caller.waitInSilence { $0.playedByteCount >= 8000 }
                #expect(heard3)
                try await caller.play(SyntheticCallerAudio.speech(seconds: 1.5, seed: 7))
                let heard4 = try await caller.waitInSilence { $0.clearsReceived >= 1 }
                #expect(heard4)
                caller.stop()
            }
            return (simulator, await harness.sink.waitForResults(1))
        }
        #expect(simulator.clearsReceived >= 1)
        #expect(simulator.flushedByteCount > 0 || simulator.echoes.contains { $0.flushed })
        let result = try #require(results.first)
        let interrupted = result.transcript.contains { entry in
            if case .agent(let turn) = entry { return turn.interrupted && turn.generatedText.hasPrefix("We are open") }
            return false
        }
        #expect(interrupted)
        #expect(harness.server.statistics.document().pipeline.bargeIns >= 1)
    }

    @Test func badMessagesOnOneCallLeaveTheOtherCallUnaffected() async throws {
        let harness = WorkerHarness(maximumConcurrentCalls: 2)
        harness.llm.setDefault(ScriptedLanguageModel.reply("Certainly."))
        let results = try await harness.run { port in
            async let bad = TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(3333)) { caller in
                caller.sendRaw(#"{"event":"media","sequenceNumber":"1","media":{"payload":"AAAA"}}"#)  // media before start
                caller.connectedAndStart()
                caller.sendRaw("{not json")
                caller.sendRaw(#"{"event":"bogus","sequenceNumber":"99"}"#)
                caller.sendRaw(#"{"event":"media","sequenceNumber":"100","streamSid":"MZ3333","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"!!!!"}}"#)
                caller.sendRaw(#"{"event":"media","sequenceNumber":"1","streamSid":"MZ3333","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"AAAA"}}"#)
                caller.sendRaw(String(repeating: "x", count: 70_000))
                // The call goes on: its greeting still plays.
                let heard5 = try await caller.waitInSilence { $0.echoes.count >= 1 }
                #expect(heard5)
                caller.stop()
            }
            async let good = TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(4444)) { caller in
                caller.connectedAndStart()
                let heard6 = try await caller.waitInSilence { $0.echoes.count >= 1 && $0.queuedByteCount == 0 }
                #expect(heard6)
                try await caller.play(SyntheticCallerAudio.speech(seconds: 1.2))
                let heard7 = try await caller.waitInSilence { $0.echoes.count >= 2 && $0.pendingMarkNames.isEmpty && $0.queuedByteCount == 0 }
                #expect(heard7)
                caller.stop()
            }
            _ = try await (bad, good)
            return await harness.sink.waitForResults(2)
        }
        let byCall = Dictionary(uniqueKeysWithValues: results.map { ($0.identity.callID, $0) })
        let good = try #require(byCall[TestSID.call(4444)])
        #expect(good.endReason == .callerHungUp)
        #expect(good.transcript.contains { if case .agent(let turn) = $0 { turn.playedText == "Certainly." } else { false } })
        let bad = try #require(byCall[TestSID.call(3333)])
        #expect(bad.endReason == .callerHungUp)
        #expect(harness.server.statistics.document().errors.badMessages >= 5)
    }

    @Test func resultIsDeliveredWhenTheSocketDiesMidCall() async throws {
        let harness = WorkerHarness()
        let results = try await harness.run { port in
            _ = try await TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(9999)) { caller in
                caller.connectedAndStart()
                let heard = try await caller.waitInSilence { $0.mediaMessagesReceived > 0 }
                #expect(heard)
                // Leave without `stop`: the client closes the socket.
            }
            return await harness.sink.waitForResults(1)
        }
        let result = try #require(results.first)
        #expect(result.identity.callID == TestSID.call(9999))
        #expect(result.endReason == .transportError)
        #expect(harness.server.statistics.document().errors.wsDisconnects == 1)
        #expect(harness.server.registry.activeCount == 0)
    }
}
