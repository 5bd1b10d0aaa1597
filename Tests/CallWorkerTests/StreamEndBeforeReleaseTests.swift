import CallCapacity
import CallEngine
import CallWorker
import Foundation
import Logging
import Testing

/// The fleet slot of a finished call stays taken until the carrier's side of its media stream
/// is over: Twilio counts a `<Connect><Stream>` call as live until the stream has closed, so
/// a slot freed earlier would let a dialler place one call more than the quota allows.
@Suite(.timeLimit(.minutes(1)))
struct StreamEndBeforeReleaseTests {
    @Test func theReservationIsReleasedOnlyAfterTheStreamEndedAndAfterTheResultIsDurable() async throws {
        let registry = InMemoryCapacityRegistry()
        let logger = Logger(label: "stream-end-test")
        let fleet = FleetMembership(
            registry: registry,
            registration: WorkerRegistration(workerID: "w1", streamURL: "wss://w1.example.com/ws", slots: 2, ttl: .seconds(30)),
            logger: logger
        )
        _ = try await registry.register(fleet.registration)
        let reservation = try #require(try await registry.reserve(ReservationRequest(clientID: "acme")).reservation)
        let sink = RecordingResultSink()
        let (streamEnd, carrierClosed) = AsyncStream.makeStream(of: Void.self)
        let (waits, waiting) = AsyncStream.makeStream(of: Void.self)
        let identity = CallIdentity(callID: "CA-stream-end", streamID: "MZ1", botID: "demo")
        let pipeline = Task {
            await ResultPipeline(sink: sink, fleet: fleet, logger: logger).run(
                identity: identity, reservationID: reservation.id, callSID: identity.callID,
                streamEnded: {
                    waiting.yield()
                    for await _ in streamEnd { return }
                }
            ) {
                CallResult(
                    identity: identity, startedAt: Date(), endedAt: Date(), endReason: .agentEnded,
                    transcript: [], lead: [:], turns: [], usage: CallUsage(), estimatedCost: 0,
                    errors: [], providers: [:], phases: []
                )
            }
        }
        // The pipeline waits for the carrier's stream: by then the result is stored (this sink
        // stores by delivering) ...
        for await _ in waits { break }
        #expect(sink.results.map(\.endReason) == [.agentEnded])
        // ... and while the stream is still open, the slot stays taken.
        #expect(try await registry.usage().count(for: .client("acme")) == 1)
        carrierClosed.yield()
        await pipeline.value
        #expect(try await registry.usage().count(for: .client("acme")) == 0)
    }
}
