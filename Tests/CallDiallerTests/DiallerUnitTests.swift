@testable import CallDialler
import Foundation
import Testing

@Suite("Dialler decisions and inputs", .timeLimit(.minutes(2)))
struct DiallerUnitTests {
    @Test("busy, no-answer and failed retry with backoff up to the maximum, then finish")
    func retriesThenFinal() {
        let machine = LeadMachine(policy: RetryPolicy(maxAttempts: 3, baseDelay: .seconds(10), maxDelay: .seconds(25)))
        #expect(machine.decide(.callEnded(status: "busy", answeredBy: nil), attempt: 1) == .retry(after: .seconds(10), reason: "busy"))
        #expect(machine.decide(.callEnded(status: "no-answer", answeredBy: nil), attempt: 2) == .retry(after: .seconds(20), reason: "no-answer"))
        #expect(machine.decide(.callEnded(status: "busy", answeredBy: nil), attempt: 3) == .finalize(.busy, detail: "busy", code: nil))
        #expect(machine.decide(.callEnded(status: "failed", answeredBy: nil), attempt: 3) == .finalize(.failed, detail: "failed", code: nil))
        #expect(RetryPolicy(maxAttempts: 9, baseDelay: .seconds(10), maxDelay: .seconds(25)).delay(afterAttempt: 5) == .seconds(25))
        // completed: the worker's result decides.
        #expect(machine.decide(.callEnded(status: "completed", answeredBy: "human"), attempt: 1) == .wait)
    }

    @Test("429 requeues without counting, invalid numbers finish with the code, results are final")
    func placementErrorsAndResults() {
        let machine = LeadMachine(policy: RetryPolicy(maxAttempts: 2))
        #expect(machine.decide(.placementFailed(.rateLimited(retryAfter: .seconds(2))), attempt: 2) == .requeue(after: .seconds(2), reason: "rate_limited"))
        #expect(machine.decide(.placementFailed(.invalidNumber(code: 21211, message: "bad To")), attempt: 1)
            == .finalize(.invalidNumber, detail: "bad To", code: 21211))
        #expect(machine.decide(.placementFailed(.transient(message: "x")), attempt: 2) == .finalize(.failed, detail: "transient: x", code: nil))
        #expect(machine.decide(.result(endReason: "caller_hung_up", answeredBy: "human"), attempt: 1) == .finalize(.answered, detail: "caller_hung_up", code: nil))
        #expect(machine.decide(.result(endReason: "agent_ended", answeredBy: "machine_start"), attempt: 1) == .finalize(.machine, detail: "agent_ended", code: nil))
        #expect(machine.decide(.result(endReason: "worker_lost", answeredBy: nil), attempt: 1) == .retry(after: .seconds(60), reason: "worker_lost"))
        #expect(machine.decide(.neverConnected(reason: "hold_lapsed"), attempt: 2) == .finalize(.notConnected, detail: "hold_lapsed", code: nil))
    }

    @Test("calling windows are local time in the campaign's zone, also across midnight")
    func callingWindow() throws {
        let newYork = try CallingWindow(parsing: "09:00-20:00", timeZone: "America/New_York")
        // 2026-07-01 12:30 UTC = 08:30 EDT (closed); 13:30 UTC = 09:30 EDT (open); 00:30 UTC = 20:30 EDT (closed).
        let day = Date(timeIntervalSince1970: 1_782_864_000)  // 2026-07-01 00:00 UTC
        #expect(!newYork.contains(day.addingTimeInterval(12.5 * 3600)))
        #expect(newYork.contains(day.addingTimeInterval(13.5 * 3600)))
        #expect(!newYork.contains(day.addingTimeInterval(24.5 * 3600)))
        // In January New York is UTC-5: 13:30 UTC = 08:30 EST (closed).
        let january = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01 00:00 UTC
        #expect(!newYork.contains(january.addingTimeInterval(13.5 * 3600)))
        #expect(newYork.contains(january.addingTimeInterval(14.5 * 3600)))
        let night = try CallingWindow(parsing: "22:00-02:00", timeZone: "UTC")
        #expect(night.contains(day.addingTimeInterval(23 * 3600)))
        #expect(night.contains(day.addingTimeInterval(1 * 3600)))
        #expect(!night.contains(day.addingTimeInterval(12 * 3600)))
        #expect(CallingWindow.always.contains(day))
        #expect(throws: DiallerError.self) { try CallingWindow(parsing: "9-5", timeZone: "UTC") }
        #expect(throws: DiallerError.invalidInput("unknown time zone Mars/Base")) { try CallingWindow(parsing: "09:00-17:00", timeZone: "Mars/Base") }
    }

    @Test("the token bucket gives rate per second after its burst, and a 429 pause blocks it")
    func tokenBucket() {
        let start = ContinuousClock.now
        var bucket = TokenBucket(rate: 10, burst: 2, now: start)
        #expect(bucket.take(now: start) == nil)
        #expect(bucket.take(now: start) == nil)
        let wait = bucket.take(now: start)
        #expect(wait.map { abs(($0 - .milliseconds(100)) / .milliseconds(1)) < 0.01 } == true)
        #expect(bucket.take(now: start + .milliseconds(50)) != nil)
        #expect(bucket.take(now: start + .milliseconds(101)) == nil)
        bucket.pause(until: start + .seconds(1))
        #expect(bucket.take(now: start + .milliseconds(500)) == .milliseconds(500))
        #expect(bucket.take(now: start + .milliseconds(1000)) != nil)  // emptied by the pause
        #expect(bucket.take(now: start + .milliseconds(1100)) == nil)
    }

    @Test("leads import from CSV (quoted fields, extra columns) and JSON; bad input is a typed error")
    func leadImport() throws {
        let csv = "id,phone,priority,name\nL1,+15550001,5,\"Smith, Ann\"\nL2,+15550002,,\"say \"\"hi\"\"\"\n"
        let leads = try LeadImporter.parse(csv)
        #expect(leads == [
            LeadRecord(id: "L1", phone: "+15550001", priority: 5, data: ["name": "Smith, Ann"]),
            LeadRecord(id: "L2", phone: "+15550002", priority: 0, data: ["name": "say \"hi\""]),
        ])
        let json = #"[{"id":"J1","phone":"+15550003","priority":9,"data":{"tier":"gold"}},{"id":"J2","phone":"+15550004"}]"#
        #expect(try LeadImporter.parse(json) == [
            LeadRecord(id: "J1", phone: "+15550003", priority: 9, data: ["tier": "gold"]),
            LeadRecord(id: "J2", phone: "+15550004"),
        ])
        #expect(throws: DiallerError.invalidInput("CSV needs a phone column")) { try LeadImporter.parse("id,name\n1,x\n") }
        #expect(throws: DiallerError.invalidInput("duplicate lead id L1")) { try LeadImporter.parse("id,phone\nL1,+1555\nL1,+1556\n") }
        #expect(throws: DiallerError.invalidInput("lead L1: phone call-me is not a number")) { try LeadImporter.parse("id,phone\nL1,call-me\n") }
        #expect(throws: DiallerError.self) { try LeadImporter.parse("[{\"id\": 1}]") }
    }
}
