import CallEngine
import Foundation
import Logging
import Testing

@testable import CallResults

/// The suites that read process-wide counters run one at a time.
@Suite("Post-call results", .serialized, .timeLimit(.minutes(2)))
struct PostCallResults {}

extension PostCallResults {
    @Suite("Webhook delivery through the outbox")
    struct ResultDeliveryTests {
        static func sink(_ base: String, outbox: ResultOutbox, clock: ManualClock, secret: String? = "whsec_receiver") -> WebhookResultSink {
            WebhookResultSink(
                configuration: WebhookConfiguration(url: base + "/results", secret: secret, timeout: .seconds(5)),
                outbox: outbox,
                now: { clock.now }
            )
        }

        @Test("webhook down: the result waits in the outbox and backs off; back up: delivered once, signed, removed")
        func webhookDownThenUp() async throws {
            let directory = Fixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let receiver = WebhookReceiver()
            let clock = ManualClock()
            try await receiver.serve { base in
                let outbox = try await ResultOutbox.open(directory: directory)
                let sink = Self.sink(base, outbox: outbox, clock: clock)
                try await sink.deliver(Fixtures.result("CA-down"))
                #expect(receiver.attempts.withLockedValue { $0 } == 1)
                #expect(try await outbox.entries().map(\.callID) == ["CA-down"])

                // Backing off: an immediate pass does not hammer the receiver.
                let early = await sink.redeliverDue()
                #expect(early == .init(delivered: 0, deadLettered: 0, failed: 0, waiting: 1))
                #expect(receiver.attempts.withLockedValue { $0 } == 1)

                receiver.up.withLockedValue { $0 = true }
                clock.advance(by: .seconds(6))
                #expect(await sink.redeliverDue().delivered == 1)
                #expect(await sink.redeliverDue() == .init())
                #expect(receiver.received.withLockedValue { $0 } == ["CA-down"])
                #expect(receiver.idempotencyKeys.withLockedValue { $0 } == ["CA-down"])
                #expect(try await outbox.entries().isEmpty)

                // With the webhook up, a new result goes straight through and leaves nothing behind.
                try await sink.deliver(Fixtures.result("CA-up"))
                #expect(receiver.received.withLockedValue { $0 } == ["CA-down", "CA-up"])
                #expect(try await outbox.entries().isEmpty)
                #expect(receiver.badSignatures.withLockedValue { $0 } == 0)
                #expect(Fixtures.files(directory).isEmpty)
            }
        }

        @Test("1,000 spooled results behind a poison entry, 10 minutes of downtime: 999 delivered, the poison dead-lettered")
        func poisonEntryDoesNotBlockTheRest() async throws {
            let directory = Fixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let receiver = WebhookReceiver()
            receiver.rejected.withLockedValue { $0 = ["CA-poison"] }
            let clock = ManualClock()
            let deadLetteredBefore = Fixtures.count(ResultMetrics.deadLettered, [("reason", "rejected")])
            try await receiver.serve { base in
                let outbox = try await ResultOutbox.open(directory: directory)
                // The poison entry is the oldest, first in line.
                try await outbox.store(Fixtures.result("CA-poison"))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for batch in 0..<8 {
                        group.addTask {
                            for index in stride(from: batch, to: 999, by: 8) { try await outbox.store(Fixtures.result("CA\(index)")) }
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try await outbox.entries().count == 1000)
                let sink = Self.sink(base, outbox: outbox, clock: clock)

                // Down: every entry is tried once, then backs off on its own.
                #expect(await sink.redeliverDue() == .init(delivered: 0, deadLettered: 0, failed: 1000, waiting: 0))
                clock.advance(by: .seconds(1))
                #expect(await sink.redeliverDue() == .init(delivered: 0, deadLettered: 0, failed: 0, waiting: 1000))
                #expect(receiver.attempts.withLockedValue { $0 } == 1000)

                // Ten minutes later the receiver is back.
                clock.advance(by: .seconds(600))
                receiver.up.withLockedValue { $0 = true }
                let report = await sink.redeliverDue()
                #expect(report == .init(delivered: 999, deadLettered: 1, failed: 0, waiting: 0))
                #expect(Set(receiver.received.withLockedValue { $0 }).count == 999)
                #expect(!receiver.received.withLockedValue { $0 }.contains("CA-poison"))
                #expect(try await outbox.entries().isEmpty)
                #expect(Fixtures.files(outbox.deadLetterDirectory) == [Fixtures.result("CA-poison").identity.storageName + ".json"])
                #expect(receiver.badSignatures.withLockedValue { $0 } == 0)
            }
            #expect(Fixtures.count(ResultMetrics.deadLettered, [("reason", "rejected")]) == deadLetteredBefore + 1)
        }

        @Test("an undecodable file and a call id AsyncHTTPClient refuses as a header are dead-lettered; the others go through")
        func undeliverableEntriesAreDeadLettered() async throws {
            let directory = Fixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let receiver = WebhookReceiver()
            receiver.up.withLockedValue { $0 = true }
            let rejectedBefore = Fixtures.count(ResultMetrics.deadLettered, [("reason", "rejected")])
            let undecodableBefore = Fixtures.count(ResultMetrics.deadLettered, [("reason", "undecodable")])
            try await receiver.serve { base in
                let outbox = try await ResultOutbox.open(directory: directory)
                try Data(#"{"schema":0,"call":"from an older worker"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/old-schema.json"))
                try await outbox.store(Fixtures.result("CA\r\nX-Injected: 1"))
                try await outbox.store(Fixtures.result("CA-good-1"))
                try await outbox.store(Fixtures.result("CA-good-2"))
                let sink = Self.sink(base, outbox: outbox, clock: ManualClock())
                let report = await sink.redeliverDue()
                #expect(report == .init(delivered: 2, deadLettered: 2, failed: 0, waiting: 0))
                #expect(Set(receiver.received.withLockedValue { $0 }) == ["CA-good-1", "CA-good-2"])
                #expect(Fixtures.files(outbox.deadLetterDirectory).count == 2)
                #expect(Fixtures.files(directory) == ["dead-letter"])
            }
            #expect(Fixtures.count(ResultMetrics.deadLettered, [("reason", "rejected")]) == rejectedBefore + 1)
            #expect(Fixtures.count(ResultMetrics.deadLettered, [("reason", "undecodable")]) == undecodableBefore + 1)
        }

        @Test("classification: 2xx delivered; 408, 429, 5xx retried; other 4xx rejected")
        func outcomeClassification() {
            #expect(WebhookOutcome.classify(status: 204) == .delivered)
            for status in [408, 429, 500, 502, 503] {
                #expect(WebhookOutcome.classify(status: status) == .retry(reason: "status \(status)"))
            }
            for status in [400, 401, 404, 410, 422] {
                #expect(WebhookOutcome.classify(status: status) == .rejected(reason: "status \(status)"))
            }
        }
    }
}
