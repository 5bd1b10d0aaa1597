import CallCapacity
import CallEngine
import CallTesting
import CallWorker
import Foundation
import Logging
import Testing

/// The worker in a fleet: registration, confirm on `start`, release at the end, readiness that
/// follows the registry's drain flag, drain and deregistration on shutdown, and calls that go
/// on when the registry is down.
@Suite(.timeLimit(.minutes(2)))
struct WorkerFleetTests {
    static func membership(_ registry: any CapacityRegistry, workerID: String = "w1", slots: Int = 2) -> FleetMembership {
        FleetMembership(
            registry: registry,
            registration: WorkerRegistration(workerID: workerID, streamURL: "wss://\(workerID).example.com/ws", slots: slots, ttl: .seconds(30)),
            releaseAttempts: 2,
            operationTimeout: .seconds(5),
            logger: Logger(label: "fleet-test")
        )
    }

    @Test func reservedCallIsConfirmedOnStartAndReleasedWhenItEnds() async throws {
        let registry = RecordingCapacityRegistry()
        let fleet = Self.membership(registry)
        let harness = WorkerHarness(fleet: fleet)
        harness.stt.enqueue(ScriptedSpeechToText.transcript("Yes, this is a good time."))
        harness.llm.enqueue(ScriptedLanguageModel.reply("Great, thank you."))
        let results = try await harness.run { port in
            await fleet.waitUntilRegistered()
            let outcome = try await registry.reserve(ReservationRequest(clientID: "acme", campaignID: "spring", hold: .seconds(30)))
            let reservation = try #require(outcome.reservation)
            #expect(reservation.workerID == "w1")
            #expect(reservation.streamURL == "wss://w1.example.com/ws")
            _ = try await TwilioWebSocketCaller.call(
                url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(7001),
                parameters: ["reservation_id": reservation.id.uuidString]
            ) { caller in
                caller.connectedAndStart()
                // While the call runs the reservation is an active call on this worker.
                await registry.waitUntilCompleted("confirm \(TestSID.call(7001))")
                #expect(try await registry.workers().first?.active == 1)
                #expect(try await registry.workers().first?.reserved == 0)
                #expect(try await registry.usage().count(for: .campaign("spring")) == 1)
                let heard = try await caller.waitInSilence { $0.echoes.count >= 1 && $0.queuedByteCount == 0 }
                #expect(heard)
                try await caller.play(SyntheticCallerAudio.speech(seconds: 1.2))
                let replied = try await caller.waitInSilence { $0.echoes.count >= 2 && $0.pendingMarkNames.isEmpty }
                #expect(replied)
                caller.stop()
            }
            let results = await harness.sink.waitForResults(1)
            // Released when the call ended: nothing live is left for the client.
            await registry.waitUntilCompleted("release")
            #expect(try await registry.usage().count(for: .client("acme")) == 0)
            let status = try #require(try await registry.workers().first)
            #expect(status.used == 0)
            return results
        }
        #expect(results.first?.identity.callID == TestSID.call(7001))
        #expect(results.first?.endReason == .callerHungUp)
        #expect(results.first?.identity.customParameters["reservation_id"] != nil)
        let operations = registry.operations
        #expect(operations.contains("confirm \(TestSID.call(7001))"))
        #expect(operations.filter { $0 == "release" }.count == 1)
        // Shutdown: marked draining first, deregistered last.
        let drain = try #require(operations.firstIndex(of: "drain w1"))
        let deregister = try #require(operations.firstIndex(of: "deregister w1"))
        #expect(drain < deregister)
        #expect(operations.first == "register w1")
        #expect(try await registry.workers().isEmpty)
    }

    @Test func readinessFollowsRegistrationAndTheRegistrysDrainFlag() async throws {
        let registry = RecordingCapacityRegistry()
        let fleet = Self.membership(registry)
        let harness = WorkerHarness(fleet: fleet)
        #expect(harness.server.unreadinessReason()?.contains("not registered") == true)
        try await harness.run { port in
            await fleet.waitUntilRegistered()
            let ready = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/health/ready")
            #expect(ready.status == 200)

            // An operator drains the worker in the registry.
            try await registry.base.drain(workerID: "w1")
            try await fleet.refresh()
            let draining = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/health/ready")
            #expect(draining.status == 503)
            #expect(draining.body.contains("draining (capacity registry)"))
            // No new reservations go to a draining worker.
            let refused = try await registry.reserve(ReservationRequest(clientID: "acme"))
            #expect(refused.reservation == nil)

            try await registry.base.undrain(workerID: "w1")
            try await fleet.refresh()
            let again = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/health/ready")
            #expect(again.status == 200)
        }
    }

    @Test func callGoesOnAndItsResultIsDeliveredWhenTheRegistryIsDown() async throws {
        let registry = RecordingCapacityRegistry()
        let fleet = Self.membership(registry)
        let harness = WorkerHarness(fleet: fleet)
        let results = try await harness.run { port in
            await fleet.waitUntilRegistered()
            let outcome = try await registry.reserve(ReservationRequest(clientID: "acme", hold: .seconds(30)))
            let reservation = try #require(outcome.reservation)
            registry.setFailing(true)
            _ = try await TwilioWebSocketCaller.call(
                url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(7002),
                parameters: ["reservation_id": reservation.id.uuidString]
            ) { caller in
                caller.connectedAndStart()
                let heard = try await caller.waitInSilence { $0.echoes.count >= 1 && $0.queuedByteCount == 0 }
                #expect(heard)
                caller.stop()
            }
            // The result is durable (delivered to the sink) before the release is tried.
            return await harness.sink.waitForResults(1)
        }
        // The worker's shutdown waited for the call's end, release attempts included.
        registry.setFailing(false)
        #expect(results.first?.identity.callID == TestSID.call(7002))
        #expect(results.first?.endReason == .callerHungUp)
        let operations = registry.operations
        #expect(operations.contains("confirm \(TestSID.call(7002))"))
        // Both release attempts were made, then the release was kept for later.
        #expect(operations.filter { $0 == "release" }.count == 2)
        #expect(fleet.pendingReleaseCount == 1)
    }

    @Test func aReleaseThatFailedAtCallEndIsRetriedLater() async throws {
        let registry = RecordingCapacityRegistry()
        let fleet = Self.membership(registry)
        _ = try await registry.register(fleet.registration)
        let reservation = try #require(try await registry.reserve(ReservationRequest(clientID: "acme")).reservation)
        registry.setFailing(true)
        await fleet.tracking(reservationID: reservation.id, callSID: TestSID.call(7010), logger: Logger(label: "t")) {}
        #expect(fleet.pendingReleaseCount == 1)
        // The database is still down at the next tick: kept.
        #expect(await fleet.retryPendingReleases() == 1)
        registry.setFailing(false)
        #expect(try await registry.usage().count(for: .client("acme")) == 1)
        // Back up: released, the slot is free again.
        #expect(await fleet.retryPendingReleases() == 0)
        #expect(try await registry.usage().count(for: .client("acme")) == 0)
        #expect(try await registry.workers().first?.used == 0)
    }

    @Test func unknownOrMalformedReservationIdsDoNotStopTheCall() async throws {
        let registry = RecordingCapacityRegistry()
        let fleet = Self.membership(registry)
        let harness = WorkerHarness(maximumConcurrentCalls: 2, fleet: fleet)
        let results = try await harness.run { port in
            await fleet.waitUntilRegistered()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (sid, id) in [(TestSID.call(7003), UUID().uuidString), (TestSID.call(7004), "not-a-uuid")] {
                    group.addTask {
                        _ = try await TwilioWebSocketCaller.call(
                            url: "ws://127.0.0.1:\(port)/ws/demo", callSid: sid, parameters: ["reservation_id": id]
                        ) { caller in
                            caller.connectedAndStart()
                            let heard = try await caller.waitInSilence { $0.echoes.count >= 1 && $0.queuedByteCount == 0 }
                            #expect(heard)
                            caller.stop()
                        }
                    }
                }
                try await group.waitForAll()
            }
            return await harness.sink.waitForResults(2)
        }
        #expect(Set(results.map(\.identity.callID)) == [TestSID.call(7003), TestSID.call(7004)])
        #expect(results.allSatisfy { $0.endReason == .callerHungUp })
        let operations = registry.operations
        // The unknown one was tried (and failed), the malformed one never reached the registry.
        #expect(operations.contains("confirm \(TestSID.call(7003))"))
        #expect(!operations.contains("confirm \(TestSID.call(7004))"))
    }

    @Test func twimlWebhookPassesTheReservationIdToTheStream() async throws {
        let harness = WorkerHarness(publicHost: "worker.example.com")
        try await harness.run { port in
            let id = UUID().uuidString
            let response = try await HTTP.request(
                .POST, "http://127.0.0.1:\(port)/twiml/demo?reservation_id=\(id)",
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: "CallSid=\(TestSID.call(7005))&From=%2B15550100&To=%2B15550199"
            )
            #expect(response.status == 200)
            #expect(response.body.contains(#"<Parameter name="reservation_id" value="\#(id)" />"#))
            #expect(response.body.contains("wss://worker.example.com/ws/demo"))
        }
    }
}
