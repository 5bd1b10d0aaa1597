import CallCapacity
import ExampleSupport
import Foundation

/// One check: a name, pass or fail, and its figures.
struct Check: Sendable {
    var name: String
    var passed: Bool
    var figures: String
}

/// Every check of the proof, computed from what the run recorded.
struct CampaignChecks {
    let settings: RunSettings
    let plan: CampaignPlan
    let record: RunRecord

    func all() -> [Check] {
        guard let stats = record.stats else {
            return [Check(name: "the campaign ran", passed: false, figures: "no figures from the fake")]
        }
        var checks: [Check] = []
        let scriptOf = Dictionary(uniqueKeysWithValues: plan.leads.map { ($0.id, $0.script) })
        let killAt = record.killAtMs ?? Int64.max
        let victim = record.killedWorker
        // Attempts that lost their worker: on the victim and not over before the kill.
        let attemptByReservation = Dictionary(uniqueKeysWithValues: record.attempts.map { ($0.reservationID, $0) })
        let callBySID = Dictionary(stats.calls.map { ($0.sid, $0) }, uniquingKeysWith: { a, _ in a })
        let finishingReservations = Set(record.outcomes.map(\.reservationID))
        // A call the victim had to serve: answered, still running (or ending) at the kill, and
        // no result made it to the dialler.
        func lostWithWorker(_ attempt: CampaignDatabase.AttemptRow) -> Bool {
            guard attempt.worker == victim, let call = callBySID[attempt.callSID], call.answeredAtMs != nil else { return false }
            if let ended = call.endedAtMs, ended < killAt - 2_000 { return false }
            return !finishingReservations.contains(attempt.reservationID)
        }
        let lost = record.attempts.filter(lostWithWorker)
        let lostLeads = Set(lost.map(\.lead))
        let lostSIDs = Set(lost.map(\.callSID))

        // 1. Exactly one final outcome per lead.
        let done = record.leads.filter { $0.state == "done" }.count
        let outcomeLeads = Set(record.outcomes.map { "\($0.campaign)/\($0.lead)" })
        checks.append(Check(
            name: "every lead has exactly one final outcome",
            passed: record.finished && record.leads.count == plan.leads.count && done == plan.leads.count
                && record.outcomes.count == plan.leads.count && outcomeLeads.count == plan.leads.count,
            figures: "\(record.leads.count) leads, \(done) done, \(record.outcomes.count) outcome rows for \(outcomeLeads.count) distinct leads, "
                + "in \(String(format: "%.1f", Double(record.finishedAtMs - record.startedAtMs) / 1000)) s"))

        // 2. Outcomes as scripted (a lead that lost its worker: as scripted, or not_connected).
        var mismatched: [String] = []
        var byOutcome: [String: Int] = [:]
        for lead in record.leads {
            byOutcome[lead.outcome, default: 0] += 1
            guard let script = scriptOf[lead.lead] else { mismatched.append("\(lead.lead): unknown"); continue }
            let ok = lead.outcome == script.expectedOutcome || (lostLeads.contains(lead.lead) && lead.outcome == "not_connected")
            if !ok { mismatched.append("\(lead.lead) (\(script.rawValue)): \(lead.outcome) \(lead.detail)") }
        }
        checks.append(Check(
            name: "each outcome matches the number's script",
            passed: mismatched.isEmpty && !record.leads.isEmpty,
            figures: byOutcome.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                + (mismatched.isEmpty ? "" : "; mismatched \(mismatched.count): " + mismatched.prefix(5).joined(separator: "; "))))

        // 3. Retries and invalid numbers.
        let retried = record.leads.filter { scriptOf[$0.lead]?.isRetried == true && !lostLeads.contains($0.lead) }
        let badRetries = retried.filter { $0.attempts != settings.maxAttempts }
        checks.append(Check(
            name: "busy / no-answer / failed retried up to the maximum",
            passed: badRetries.isEmpty && !retried.isEmpty,
            figures: "\(retried.count) leads, every one \(settings.maxAttempts) attempts"
                + (badRetries.isEmpty ? "" : "; \(badRetries.count) differ: " + badRetries.prefix(3).map { "\($0.lead)=\($0.attempts)" }.joined(separator: ","))))
        let invalid = record.leads.filter { scriptOf[$0.lead] == .invalid }
        let badInvalid = invalid.filter { $0.outcome != "invalid_number" || $0.errorCode != 21211 || $0.attempts != 1 }
        checks.append(Check(
            name: "invalid numbers failed with Twilio's code, not retried",
            passed: badInvalid.isEmpty && !invalid.isEmpty,
            figures: "\(invalid.count) leads: outcome invalid_number, error_code 21211, 1 attempt" + (badInvalid.isEmpty ? "" : "; \(badInvalid.count) differ")))

        // 4. Live calls: the fake's own count, and its call intervals, and the registry.
        let slots = settings.workers * settings.slots
        let intervals = stats.calls.map { ($0.createdAtMs, $0.endedAtMs ?? Int64.max, $0.to) }
        let peak = Self.peak(intervals.map { ($0.0, $0.1) })
        checks.append(Check(
            name: "at most \(slots) live calls by the fake's own count",
            passed: stats.maximumLive <= slots && peak <= slots,
            figures: "most live at once \(stats.maximumLive) (fake's counter), \(peak) (from its call intervals), \(stats.calls.count) calls"))
        let samples = record.samples
        let maxAll = samples.map(\.usedAll).max() ?? 0
        let overLive = samples.filter { $0.usedLive > $0.liveSlots }
        let maxFakeAtSample = samples.map(\.fakeLive).max() ?? 0
        let fakeAboveRegistry = samples.filter { $0.fakeLive > $0.usedAll }.count
        checks.append(Check(
            name: "at most \(slots) live calls by the registry after every placement",
            passed: !samples.isEmpty && maxAll <= slots && overLive.isEmpty && maxFakeAtSample <= slots && record.sampleErrors == 0,
            figures: "\(samples.count) samples over \(record.placementsSeen) placements: registry used max \(maxAll) of \(slots), "
                + "live workers never above their slots (\(overLive.count) violations), fake live at the sample max \(maxFakeAtSample) (read before the registry: above its count in \(fakeAboveRegistry) samples), \(record.sampleErrors) sample errors"))

        // 5. Quotas: by the fake's intervals (number -> campaign) and by the registry's usage.
        let campaignOf = plan.campaignOfPhone
        let clientOf = plan.clientOfCampaign
        var quotaFigures: [String] = []
        var quotaOK = true
        for campaign in plan.campaigns {
            let mine = intervals.filter { campaignOf[$0.2] == campaign.id }.map { ($0.0, $0.1) }
            let fakePeak = Self.peak(mine)
            let registryPeak = samples.map { $0.byCampaign[campaign.id, default: 0] }.max() ?? 0
            quotaOK = quotaOK && fakePeak <= campaign.quota && registryPeak <= campaign.quota
            quotaFigures.append("\(campaign.id) \(fakePeak)/\(registryPeak) of \(campaign.quota)")
            if fakePeak > campaign.quota {
                // Which calls overlapped, for the report: every call live at a moment above the quota.
                let calls = stats.calls.filter { campaignOf[$0.to] == campaign.id }
                for call in calls {
                    let at = call.createdAtMs
                    let live = calls.filter { $0.createdAtMs <= at && ($0.endedAtMs ?? Int64.max) > at }
                    if live.count > campaign.quota {
                        let rows = live.map { "\($0.sid.suffix(6)) \($0.status) \($0.createdAtMs % 100_000)-\(($0.endedAtMs ?? 0) % 100_000) end=\($0.streamEnd ?? "-")" }
                        print("quota overlap \(campaign.id) at \(at % 100_000): " + rows.joined(separator: " | "))
                    }
                }
            }
        }
        for (client, quota) in plan.clientQuotas.sorted(by: { $0.key < $1.key }) {
            let mine = intervals.filter { campaignOf[$0.2].flatMap { clientOf[$0] } == client }.map { ($0.0, $0.1) }
            let fakePeak = Self.peak(mine)
            let registryPeak = samples.map { $0.byClient[client, default: 0] }.max() ?? 0
            quotaOK = quotaOK && fakePeak <= quota && registryPeak <= quota
            quotaFigures.append("client \(client) \(fakePeak)/\(registryPeak) of \(quota)")
        }
        checks.append(Check(name: "campaign and client quotas held (fake / registry peak)", passed: quotaOK, figures: quotaFigures.joined(separator: ", ")))

        // 6. Pace: accepted creates in any 1 s window; nothing within Retry-After of the 429.
        let creates = stats.requests.filter { $0.method == "POST" && $0.path.hasSuffix("/Calls.json") }
        let accepted = creates.filter { $0.status == 201 || $0.status == 400 }.map(\.atMs).sorted()
        let windowMax = Self.maxInWindow(accepted, windowMs: 1000)
        let limit = Int(settings.cps.rounded(.down)) + 1  // rate + burst 1
        let span = Double((accepted.last ?? 0) - (accepted.first ?? 0)) / 1000
        checks.append(Check(
            name: "calls-per-second pace held",
            passed: windowMax <= limit + 1 && !accepted.isEmpty,
            figures: "\(accepted.count) creates over \(String(format: "%.1f", span)) s (\(String(format: "%.2f", Double(max(accepted.count - 1, 0)) / max(span, 0.001)))/s), "
                + "most in any 1 s window \(windowMax) (rate \(settings.cps) + burst 1 = \(limit), tolerance 1)"))
        let limited = creates.filter { $0.status == 429 }
        if let first = limited.first {
            let next = creates.first { $0.atMs > first.atMs && $0.status != 429 }
            let gap = next.map { $0.atMs - first.atMs } ?? -1
            let needed = Int64(settings.retryAfterSeconds * 1000) - 50
            checks.append(Check(
                name: "a 429 slows the dialler down, no lead failed by it",
                passed: gap >= needed && !record.leads.contains { $0.detail.contains("rate") },
                figures: "\(limited.count) create(s) answered 429; next create \(gap) ms later (Retry-After \(settings.retryAfterSeconds) s)"))
        } else {
            checks.append(Check(name: "a 429 slows the dialler down, no lead failed by it", passed: false, figures: "no 429 was answered"))
        }

        // 7. The killed worker.
        if let killAtMs = record.killAtMs {
            let expiredAfter = record.victimExpiredAtMs.map { $0 - killAtMs }
            checks.append(Check(
                name: "the killed worker expires in the registry",
                passed: expiredAfter.map { $0 <= Int64(settings.registryTTL * 1000 + 2000) } ?? false,
                figures: "\(victim) SIGKILLed after \(record.killPlacements) placements with \(record.killedSlots.count) slot(s) in use "
                    + "(\(record.killedSlots.map(\.state).joined(separator: ","))); expired \(expiredAfter.map { "\($0) ms" } ?? "never") later (REGISTRY_TTL \(settings.registryTTL) s)"))
            let lapsed = record.killedLookups.values.filter { lookup in lookup.map { !$0.workerAlive } ?? true }.count
            let stillOffered = record.samples.filter { sample in
                guard let expired = record.victimExpiredAtMs, sample.sampledAtMs > expired + 500 else { return false }
                return sample.workers[victim]?.state != .expired
            }.count
            let placedAfter = record.attempts.filter { $0.worker == victim && $0.startedAtMs > (record.victimExpiredAtMs ?? Int64.max) }
            checks.append(Check(
                name: "its reservations lapse and no new call goes to it",
                passed: lapsed == record.killedSlots.count && !record.killedSlots.isEmpty && stillOffered == 0 && placedAfter.isEmpty,
                figures: "\(lapsed) of \(record.killedSlots.count) reservations looked up with a dead worker; "
                    + "\(placedAfter.count) attempts on \(victim) after it expired"))
            var unretried: [String] = []
            var retryDelays: [Int64] = []
            for attempt in lost {
                let later = record.attempts.filter { $0.lead == attempt.lead && $0.campaign == attempt.campaign && $0.startedAtMs > attempt.startedAtMs }
                let lead = record.leads.first { $0.lead == attempt.lead && $0.campaign == attempt.campaign }
                let retriedElsewhere = later.contains { $0.worker != victim }
                if let next = later.filter({ $0.worker != victim }).map(\.startedAtMs).min() { retryDelays.append(next - killAtMs) }
                let outOfAttempts = attempt.attempt >= settings.maxAttempts && lead?.outcome == "not_connected"
                if !(retriedElsewhere || outOfAttempts) { unretried.append("\(attempt.lead)#\(attempt.attempt)") }
            }
            let retriedCount = lost.count - unretried.count
            let reasons = Dictionary(grouping: lost, by: { $0.status.isEmpty ? "-" : $0.status }).mapValues(\.count)
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            checks.append(Check(
                name: "its leads are retried",
                passed: unretried.isEmpty && !lost.isEmpty,
                figures: "\(lost.count) attempts lost with \(victim) (attempt status: \(reasons)), \(retriedCount) retried on another worker (or not_connected after the last attempt)"
                    + (retryDelays.isEmpty ? "" : ", \(String(format: "%.1f", Double(retryDelays.min() ?? 0) / 1000))-\(String(format: "%.1f", Double(retryDelays.max() ?? 0) / 1000)) s after the kill (the sweep reclaims an attempt once its hold of \(settings.holdSeconds) s and the 15 s result grace passed; then it queues behind fresh leads)")
                    + (unretried.isEmpty ? "" : "; not retried: " + unretried.prefix(5).joined(separator: ","))))
        } else {
            checks.append(Check(name: "a worker is killed mid-campaign", passed: false, figures: "the kill condition was never met"))
        }

        // 8. Every answered call (human or machine) on a surviving worker produced a result.
        let outcomeByReservation = Dictionary(record.outcomes.map { ($0.reservationID, $0) }, uniquingKeysWith: { a, _ in a })
        var answeredCalls = 0
        var withResult = 0
        var missing: [String] = []
        var humans = 0
        var machines = 0
        var humanAudio: [Int] = []
        var details: [String: Int] = [:]
        for call in stats.calls where call.answeredAtMs != nil {
            guard let reservation = call.streamParameters?["reservation_id"] ?? attemptByReservation.values.first(where: { $0.callSID == call.sid })?.reservationID,
                  let attempt = attemptByReservation[reservation] else {
                missing.append("\(call.sid.prefix(10)): no attempt")
                continue
            }
            if attempt.worker == victim && lost.contains(where: { $0.reservationID == reservation }) { continue }
            answeredCalls += 1
            let expected = call.answeredBy.map { $0.hasPrefix("machine") } == true ? "machine" : "answered"
            if expected == "machine" { machines += 1 } else { humans += 1 }
            if expected == "answered" { humanAudio.append(call.agentAudioBytes) }
            if let outcome = outcomeByReservation[reservation], outcome.outcome == expected {
                withResult += 1
                details["\(outcome.outcome):\(outcome.detail)", default: 0] += 1
            } else {
                missing.append("\(attempt.lead): \(outcomeByReservation[reservation]?.outcome ?? "no outcome from this call")")
            }
        }
        checks.append(Check(
            name: "every answered call produced a result at the dialler",
            passed: missing.isEmpty && answeredCalls > 0,
            figures: "\(withResult) of \(answeredCalls) answered calls on live workers (\(humans) human, \(machines) machine) finished their lead from the worker's signed result ("
                + details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + ")"
                + (missing.isEmpty ? "" : "; missing: " + missing.prefix(5).joined(separator: "; "))))
        // The greeting alone is about 2,200 bytes of mu-law; a reply to the caller's speech comes on top.
        let greetingBytes = 2_000
        let conversed = humanAudio.filter { $0 > greetingBytes * 2 }.count
        checks.append(Check(
            name: "human calls are conversations (greeting, caller speech, the agent's reply)",
            passed: !humanAudio.isEmpty && conversed == humanAudio.count,
            figures: "\(conversed) of \(humanAudio.count) human calls heard more than the greeting; agent audio per call "
                + "min \(humanAudio.min() ?? 0) / median \(humanAudio.isEmpty ? 0 : humanAudio.sorted()[humanAudio.count / 2]) bytes"))

        // 9. Callbacks, TwiML fetches and streams.
        let callbackFailures = stats.calls.reduce(0) { $0 + $1.callbackFailures }
        let liveErrors = stats.calls.filter { call in
            !call.errors.isEmpty && !lostSIDs.contains(call.sid)
        }
        checks.append(Check(
            name: "every signed callback accepted; no call errors on live workers",
            passed: callbackFailures == 0 && liveErrors.isEmpty,
            figures: "\(stats.calls.reduce(0) { $0 + $1.callbackStatuses.count }) callbacks, \(callbackFailures) not answered 200; "
                + "\(liveErrors.count) calls with errors outside the kill" + (liveErrors.first.map { ": \($0.errors.first ?? "")" } ?? "")))

        // 10. Processes.
        var crashed: [String] = []
        for (name, end) in record.endings.sorted(by: { $0.key < $1.key }) {
            if name == victim {
                if end.ending != "signal 9" { crashed.append("\(name): \(end.ending) (expected signal 9)") }
            } else if !end.runningAtStop || end.ending != "exit 0" {
                crashed.append("\(name): \(end.runningAtStop ? "" : "died before the stop, ")\(end.ending)")
            }
        }
        let expectedProcesses = settings.workers + 3
        checks.append(Check(
            name: "no crash besides the killed worker; every process stopped",
            passed: crashed.isEmpty && record.endings.count == expectedProcesses,
            figures: "\(record.endings.count) processes: " + record.endings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.ending)" }.joined(separator: ", ")
                + (crashed.isEmpty ? "" : "; unexpected: " + crashed.joined(separator: "; "))))
        return checks
    }

    /// Most intervals open at once ([start, end), ends before starts at equal times).
    static func peak(_ intervals: [(Int64, Int64)]) -> Int {
        var events: [(Int64, Int)] = []
        for (start, end) in intervals {
            events.append((start, 1))
            events.append((end, -1))
        }
        events.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var open = 0
        var most = 0
        for (_, delta) in events {
            open += delta
            most = max(most, open)
        }
        return most
    }

    /// Most timestamps in any window of `windowMs` (sorted input).
    static func maxInWindow(_ times: [Int64], windowMs: Int64) -> Int {
        var most = 0
        var start = 0
        for end in times.indices {
            while times[end] - times[start] >= windowMs { start += 1 }
            most = max(most, end - start + 1)
        }
        return most
    }
}
