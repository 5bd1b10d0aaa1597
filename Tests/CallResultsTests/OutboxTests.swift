import CallEngine
import Foundation
import Testing

@testable import CallResults

#if canImport(Glibc)
import Glibc
#endif

extension PostCallResults {
    @Suite("Durable outbox")
    struct OutboxTests {
        @Test("CA/1, CA_1 and CA.1 get three files (results and recordings share the stem); 0600 files in a 0700 folder")
        func collisionFreeNamesAndPermissions() async throws {
            let directory = Fixtures.temporaryDirectory() + "/nested/spool"
            defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
            let outbox = try await ResultOutbox.open(directory: directory)
            for id in ["CA/1", "CA_1", "CA.1"] { try await outbox.store(Fixtures.result(id)) }
            try await outbox.store(Fixtures.result("CA/1"))  // the same call again replaces its file
            let entries = try await outbox.entries()
            #expect(entries.count == 3)
            #expect(Set(entries.compactMap(\.callID)) == ["CA/1", "CA_1", "CA.1"])
            for entry in entries {
                let id = try #require(entry.callID)
                #expect(entry.name == CallIdentity(callID: id, streamID: "MZ1", botID: "bot").storageName + ".json")
                #expect(!entry.name.contains("/"))
                #expect(Fixtures.mode(directory + "/" + entry.name) == 0o600)
            }
            #expect(Fixtures.mode(directory) == 0o700)
            #expect(!Fixtures.files(directory).contains { $0.hasSuffix(".tmp") })
        }

        @Test("a checkpoint left by a dead worker is recovered as worker_lost; a final result replaces its checkpoint")
        func checkpointRecovery() async throws {
            let directory = Fixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            do {
                let outbox = try await ResultOutbox.open(directory: directory)
                try await outbox.checkpoint(Fixtures.result("CA-crashed", reason: .workerLost))
                try await outbox.checkpoint(Fixtures.result("CA-finished", reason: .workerLost))
                try await outbox.store(Fixtures.result("CA-finished", reason: .agentEnded))
                // A checkpoint arriving after the final result is dropped.
                try await outbox.checkpoint(Fixtures.result("CA-finished", reason: .workerLost))
                #expect(!Fixtures.files(directory).contains(Fixtures.result("CA-finished").identity.storageName + ".checkpoint"))
                #expect(Fixtures.mode(directory + "/" + Fixtures.result("CA-crashed").identity.storageName + ".checkpoint") == 0o600)
                // A checkpoint is not a result to deliver yet.
                #expect(try await outbox.entries().compactMap(\.callID) == ["CA-finished"])
            }
            // The worker restarts.
            let outbox = try await ResultOutbox.open(directory: directory)
            let recovered = await outbox.recoverInterruptedCalls()
            #expect(recovered.map(\.identity.callID) == ["CA-crashed"])
            #expect(recovered.first?.endReason == .workerLost)
            #expect(recovered.first?.transcript == Fixtures.result("CA-crashed").transcript)
            let entries = try await outbox.entries()
            var reasons: [String: CallEndReason] = [:]
            for entry in entries {
                if case .result(let result) = entry.content { reasons[result.identity.callID] = result.endReason }
            }
            #expect(reasons == ["CA-crashed": .workerLost, "CA-finished": .agentEnded])
            #expect(!Fixtures.files(directory).contains { $0.hasSuffix(".checkpoint") })
            #expect(await outbox.recoverInterruptedCalls().isEmpty)
        }

        @Test("EIO on write: thrown, counted in spool_errors_total, readiness reason set; cleared once writes work again")
        func ioErrorIsCountedAndReported() async throws {
            let directory = Fixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let fileSystem = FailingFileSystem()
            let outbox = try await ResultOutbox.open(directory: directory, fileSystem: fileSystem)
            let errorsBefore = Fixtures.count(ResultMetrics.spoolErrors, [("operation", "store")])
            let lostBefore = Fixtures.count(ResultMetrics.lost)
            fileSystem.failure.withLockedValue { $0 = EIO }
            await #expect(throws: ResultOutboxError.self) { try await outbox.deliver(Fixtures.result("CA-eio")) }
            #expect(Fixtures.count(ResultMetrics.spoolErrors, [("operation", "store")]) == errorsBefore + 1)
            #expect(Fixtures.count(ResultMetrics.lost) == lostBefore + 1)
            let reason = try #require(outbox.storageHealth.unwritableReason)
            #expect(reason.contains("errno \(EIO)"))
            #expect(await outbox.probe() == false)

            fileSystem.failure.withLockedValue { $0 = nil }
            #expect(await outbox.probe())
            #expect(outbox.storageHealth.unwritableReason == nil)
            #expect(Fixtures.files(directory).isEmpty)
        }

        @Test(
            "disk full (a 64 KiB tmpfs): ENOSPC counted, readiness reason, the webhook takes the result directly or it is counted lost",
            .enabled(if: getuid() == 0, "mounting a tmpfs needs root")
        )
        func diskFull() async throws {
            let mountPoint = Fixtures.temporaryDirectory()
            try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: mountPoint) }
            guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=64k") == 0 else {
                Issue.record("cannot mount a tmpfs: errno \(errno)")
                return
            }
            defer { umount(mountPoint) }
            let outbox = try await ResultOutbox.open(directory: mountPoint + "/spool")
            var stored = 0
            var failure: ResultOutboxError?
            for index in 0..<64 {
                do {
                    try await outbox.store(Fixtures.result("CA-full-\(index)", padding: 1500))
                    stored += 1
                } catch {
                    failure = error
                    break
                }
            }
            let error = try #require(failure, "64 KiB never filled up")
            #expect(error.errno == ENOSPC)
            #expect(stored > 0)
            #expect(outbox.storageHealth.unwritableReason?.contains("No space left") == true)
            // Everything stored before the disk filled is intact.
            #expect(try await outbox.entries().count == stored)

            let receiver = WebhookReceiver()
            let lostBefore = Fixtures.count(ResultMetrics.lost)
            try await receiver.serve { base in
                let sink = WebhookResultSink(
                    configuration: WebhookConfiguration(url: base + "/results", secret: "whsec_receiver", unstoredAttempts: 2),
                    outbox: outbox
                )
                // Down: neither stored nor delivered, so counted lost and thrown, never silent.
                await #expect(throws: ResultOutboxError.self) { try await sink.deliver(Fixtures.result("CA-full-x", padding: 1500)) }
                #expect(Fixtures.count(ResultMetrics.lost) == lostBefore + 1)
                // Up: delivered directly although the outbox is full.
                receiver.up.withLockedValue { $0 = true }
                try await sink.deliver(Fixtures.result("CA-full-y", padding: 1500))
                #expect(receiver.received.withLockedValue { $0 } == ["CA-full-y"])
                #expect(Fixtures.count(ResultMetrics.lost) == lostBefore + 1)
            }
            // Space again: the probe clears the readiness reason.
            for entry in try await outbox.entries() { try await outbox.remove(entry.name) }
            #expect(await outbox.probe())
            #expect(outbox.storageHealth.unwritableReason == nil)
        }
    }
}
