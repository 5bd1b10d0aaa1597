import CallCapacity
@testable import CallDialler
import Foundation
import NIOConcurrencyHelpers
import PostgresNIO
import Testing

@Suite("Dialler campaigns on PostgreSQL", .timeLimit(.minutes(2)), .serialized,
       .enabled(if: DiallerTestDatabase.shouldRun, DiallerTestDatabase.skipReason))
struct DiallerCampaignTests {
    /// 200 leads over 4 workers x 5 slots, scripted busy / no-answer / failed / invalid number /
    /// 429 / machine / human, one worker dying mid-campaign.
    @Test("every lead reaches exactly one final outcome; capacity, quotas and pace hold; a dead worker's leads are retried")
    func campaignOfTwoHundred() async throws {
        try await DiallerTestDatabase.with { client, store, registry, schema in
            let workers = ["w1", "w2", "w3", "w4"]
            for id in workers where id != "w4" {
                try await registry.register(WorkerRegistration(workerID: id, streamURL: "wss://\(id).fleet.test/ws", slots: 5, ttl: .seconds(300)))
            }
            // w4 keeps a short lease alive with heartbeats until it "dies".
            let w4 = WorkerRegistration(workerID: "w4", streamURL: "wss://w4.fleet.test/ws", slots: 5, ttl: .seconds(2))
            let lease = Task { try? await WorkerLease(registry: registry, registration: w4, interval: .milliseconds(300), logger: DiallerTestDatabase.logger).run() }

            var scripts: [String: [Script]] = [:]
            var expected: [String: LeadOutcome] = [:]
            var spring: [LeadRecord] = []
            var summer: [LeadRecord] = []
            for index in 0..<200 {
                let phone = "+1555\(String(format: "%07d", index))"
                let id = "lead-\(index)"
                switch index % 10 {
                case 0: scripts[phone] = [.busy]; expected[id] = .busy
                case 1: scripts[phone] = [.noAnswer, .human]; expected[id] = .answered
                case 2: scripts[phone] = [.failed]; expected[id] = .failed
                case 3: scripts[phone] = [.invalidNumber(21211)]; expected[id] = .invalidNumber
                case 4: scripts[phone] = [.rateLimited(.milliseconds(300)), .human]; expected[id] = .answered
                case 5: scripts[phone] = [.machine]; expected[id] = .machine
                default: scripts[phone] = [.human]; expected[id] = .answered
                }
                let lead = LeadRecord(id: id, phone: phone, priority: index % 7, data: ["n": "\(index)"])
                if index.isMultiple(of: 2) { spring.append(lead) } else { summer.append(lead) }
            }
            let retry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(100), maxDelay: .milliseconds(400))
            try await CampaignSetup.apply(Campaign(id: "spring", clientID: "acme", botID: "sales", fromNumber: "+15017122661",
                                                   account: "AC1", maxConcurrent: 6, retry: retry, machineDetection: true),
                                          store: store, registry: registry)
            try await CampaignSetup.apply(Campaign(id: "summer", clientID: "acme", botID: "sales", fromNumber: "+15017122661",
                                                   account: "AC2", retry: retry, machineDetection: true),
                                          store: store, registry: registry)
            try await CampaignSetup.setClientQuota("acme", maxConcurrent: 16, registry: registry)
            #expect(try await store.importLeads(spring, into: "spring") == 100)
            #expect(try await store.importLeads(summer, into: "summer") == 100)
            // Re-importing is idempotent.
            #expect(try await store.importLeads(Array(spring.prefix(3)), into: "spring") == 0)

            let fake = FakeCarrier(registry: registry, scripts: scripts, publicURL: DiallerHarness.publicURL,
                                   authToken: DiallerHarness.authToken, resultSecret: DiallerHarness.resultSecret, totalSlots: 20)
            // w4 dies once 60 placements were made (refused ones count too, so fire once at >= 60).
            let died = NIOLockedValueBox(false)
            await fake.setOnPlacement { count in
                guard count >= 60, !died.withLockedValue({ dead in defer { dead = true }; return dead }) else { return }
                await fake.kill(host: "w4.fleet.test")
                lease.cancel()
            }
            let rates = ["AC1": 40.0, "AC2": 60.0]
            let pacer = AccountPacer(defaultRate: 1, rates: rates, burst: 1, logger: DiallerTestDatabase.logger)
            try await DiallerHarness.run(store: store, registry: registry, placer: fake, pacer: pacer) { dialler, baseURL in
                await fake.setBaseURL(baseURL)
                await dialler.waitUntilFinished(campaignID: "spring")
                await dialler.waitUntilFinished(campaignID: "summer")
                await fake.settle()  // the last callbacks reach the server before it stops
                let statistics = await dialler.currentStatistics
                #expect(statistics.finalized == 200)
                #expect(statistics.duplicates > 0)  // every callback and result came twice
                #expect(statistics.placementErrors["rate_limited"] == 20)
            }
            await fake.settle()
            lease.cancel()

            // Exactly one final outcome per lead.
            #expect(try await DiallerTestDatabase.count(client, "SELECT count(*)::bigint FROM \"\(schema)\".outcomes") == 200)
            #expect(try await DiallerTestDatabase.count(client, "SELECT count(*)::bigint FROM \"\(schema)\".leads WHERE state <> 'done'") == 0)
            let rows = try await client.query(PostgresQuery(unsafeSQL: """
                SELECT lead_id, outcome, error_code, attempts FROM "\(schema)".leads
                """), logger: DiallerTestDatabase.logger)
            let killed = await fake.killedLeads
            var outcomes: [String: Int] = [:]
            for try await (lead, outcome, code, attempts) in rows.decode((String, String, Int?, Int).self) {
                outcomes[outcome, default: 0] += 1
                let want = try #require(expected[lead])
                if killed.contains(lead) {
                    #expect([want.rawValue, LeadOutcome.notConnected.rawValue].contains(outcome), "\(lead): \(outcome)")
                } else {
                    #expect(outcome == want.rawValue, "\(lead): \(outcome), want \(want)")
                }
                if want == .invalidNumber {
                    #expect(code == 21211 && attempts == 1)
                }
                if want == .busy || want == .failed, !killed.contains(lead) { #expect(attempts == 3) }
            }
            #expect(!killed.isEmpty, "the worker died with calls on it")
            let placementCount = await fake.placements.count
            print("dialler campaign: \(placementCount) placements, outcomes \(outcomes.sorted { $0.key < $1.key }), killed leads \(killed.count), max live \(await fake.maxLive)")
            let posted = await fake.resultsPosted
            #expect(posted.count == (outcomes["answered"] ?? 0) + (outcomes["machine"] ?? 0), "every human call produced a recorded result")

            // Capacity and quotas, by the fake's own count and against the registry at every placement.
            let violations = await fake.violations
            #expect(violations.isEmpty, "\(violations.count) violations, first: \(violations.prefix(5))")
            #expect(await fake.maxLive <= 20)
            #expect(await fake.maxLiveByCampaign["spring"] ?? 0 <= 6)
            #expect(await fake.maxLive <= 16)  // the client quota covers both campaigns

            // Pace: per account, no 1 s window holds more than rate + burst, with 15 % + 2 tolerance for
            // scheduling jitter between the token and the fake's timestamp (unpaced would be hundreds).
            let placements = await fake.placements
            for (account, rate) in rates {
                let times = placements.filter { $0.account == account }.map(\.at)
                var start = 0
                for end in times.indices {
                    while times[end] - times[start] > .seconds(1) { start += 1 }
                    #expect(end - start + 1 <= Int(rate * 1.15) + 2, "\(account): \(end - start + 1) calls within 1 s")
                }
            }
            // A 429 slows its account down: within Retry-After (300 ms) the account places at most
            // the one call already past the pace when the 429 came (unpaced: about 11 at 40/s).
            for limited in await fake.rateLimitedAt {
                guard let account = placements.first(where: { $0.at == limited })?.account else { continue }
                let early = placements.filter { $0.account == account && $0.at > limited && $0.at < limited + .milliseconds(290) }
                #expect(early.count <= 2, "\(account) placed \(early.count) calls within 290 ms of a 429")
            }
            // The dead worker's reservations lapsed: nothing is held on it any more but its orphaned calls.
            let w4Status = try await registry.worker("w4")
            #expect(w4Status?.state == .expired)
        }
    }

    @Test("hot leads first: with one slot, leads are dialled by priority")
    func priorityOrder() async throws {
        try await DiallerTestDatabase.with { _, store, registry, _ in
            try await registry.register(WorkerRegistration(workerID: "solo", streamURL: "wss://solo.test/ws", slots: 1, ttl: .seconds(300)))
            try await CampaignSetup.apply(Campaign(id: "c", clientID: "x", botID: "b", fromNumber: "+1500", account: "AC"),
                                          store: store, registry: registry)
            let priorities = [1, 5, 3, 9, 7]
            try await store.importLeads(priorities.enumerated().map { LeadRecord(id: "p\($0.offset)", phone: "+1666\($0.offset)", priority: $0.element) }, into: "c")
            let fake = FakeCarrier(registry: registry, scripts: [:], publicURL: DiallerHarness.publicURL, authToken: DiallerHarness.authToken,
                                   resultSecret: DiallerHarness.resultSecret, totalSlots: 1, callDuration: .milliseconds(5))
            try await DiallerHarness.run(store: store, registry: registry, placer: fake,
                                         pacer: AccountPacer(defaultRate: 1000, logger: DiallerTestDatabase.logger)) { dialler, baseURL in
                await fake.setBaseURL(baseURL)
                await dialler.waitUntilFinished(campaignID: "c")
                await fake.settle()
            }
            await fake.settle()
            let order = await fake.placements.map { Int($0.to.dropFirst(5)) ?? -1 }.map { priorities[$0] }
            #expect(order == [9, 7, 5, 3, 1])
            #expect(try await store.summary(campaignID: "c") == ["answered": 5])
        }
    }

    @Test("unsigned and forged status callbacks and results are refused; paused campaigns place nothing until resumed")
    func badInputAndPause() async throws {
        try await DiallerTestDatabase.with { _, store, registry, _ in
            try await registry.register(WorkerRegistration(workerID: "solo", streamURL: "wss://solo.test/ws", slots: 2, ttl: .seconds(300)))
            try await CampaignSetup.apply(Campaign(id: "p", clientID: "x", botID: "b", fromNumber: "+1500", account: "AC", paused: true),
                                          store: store, registry: registry)
            try await store.importLeads([LeadRecord(id: "only", phone: "+17770000")], into: "p")
            let fake = FakeCarrier(registry: registry, scripts: [:], publicURL: DiallerHarness.publicURL, authToken: DiallerHarness.authToken,
                                   resultSecret: DiallerHarness.resultSecret, totalSlots: 2, callDuration: .milliseconds(5))
            try await DiallerHarness.run(store: store, registry: registry, placer: fake,
                                         pacer: AccountPacer(defaultRate: 100, logger: DiallerTestDatabase.logger)) { dialler, baseURL in
                await fake.setBaseURL(baseURL)
                let id = UUID().uuidString.lowercased()
                let path = "/twilio/status?reservation_id=\(id)"
                let form = "CallSid=CA00000000000000000000000000000001&CallStatus=completed&SequenceNumber=1"
                #expect(await fake.post(baseURL + path, body: Array(form.utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")]) == 403)
                let forged = TwilioSignatureProbe.sign(url: DiallerHarness.publicURL + path, form: form, token: "wrong-token")
                #expect(await fake.post(baseURL + path, body: Array(form.utf8), headers: [("X-Twilio-Signature", forged)]) == 403)
                let good = TwilioSignatureProbe.sign(url: DiallerHarness.publicURL + path, form: form, token: DiallerHarness.authToken)
                // Signed for the right URL and token: accepted, but no attempt has that reservation.
                #expect(await fake.post(baseURL + path, body: Array(form.utf8), headers: [("X-Twilio-Signature", good)]) == 200)
                let body = Array(#"{"not":"a result"}"#.utf8)
                #expect(await fake.post(baseURL + "/results", body: body, headers: []) == 401)
                let wrong = ResultSignatureProbe.header(body: body, secret: "wrong")
                #expect(await fake.post(baseURL + "/results", body: body, headers: [("X-Call-Signature", wrong)]) == 401)

                // Paused: after two complete looks for due leads nothing was placed.
                await dialler.waitForNextLook()
                await dialler.waitForNextLook()
                #expect(await fake.placements.isEmpty)
                try await store.setPaused(campaignID: "p", false)
                await dialler.wake()
                await dialler.waitUntilFinished(campaignID: "p")
                #expect(await fake.placements.count == 1)
                await fake.settle()
            }
            await fake.settle()
        }
    }
}
