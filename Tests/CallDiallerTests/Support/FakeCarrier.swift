import AsyncHTTPClient
import CallCapacity
import CallDialler
import CallEngine
import CallResults
import Foundation
import Logging
import NIOCore
import TwilioMediaStreams

/// What the fake carrier does with one placement of a number.
enum Script: Sendable, Hashable {
    case busy, noAnswer, failed
    case invalidNumber(Int)
    case rateLimited(Duration)
    case human, machine
}

/// An in-process Twilio + worker fleet for the dialler: `placeCall` answers as Twilio's REST API
/// would (call SID, 429, invalid number), then, in the background, rings the call and posts
/// signed status callbacks (`X-Twilio-Signature`) over real HTTP to the dialler; for an answered
/// call it plays the worker: confirms the reservation in the registry (the stream's `start`),
/// releases it at the end and posts the signed post-call result (`X-Call-Signature`). Every
/// callback and result is delivered twice (duplicates must change nothing). A worker marked dead
/// confirms nothing and posts no result; its calls just end.
///
/// It counts its own live calls (placement to end) and checks them, at every placement, against
/// the registry's slots.
actor FakeCarrier: OutboundCallPlacer {
    struct Placement: Sendable {
        let at: ContinuousClock.Instant
        let account: String
        let to: String
        let campaignID: String
        let workerHost: String
        let refused: Bool
    }

    let registry: any CapacityRegistry
    let scripts: [String: [Script]]
    let publicURL: String
    let validator: TwilioSignatureValidator
    let resultSecret: String
    let callDuration: Duration
    var baseURL = ""
    private(set) var placements: [Placement] = []
    private(set) var rateLimitedAt: [ContinuousClock.Instant] = []
    private(set) var live = 0
    private(set) var maxLive = 0
    private(set) var liveByCampaign: [String: Int] = [:]
    private(set) var maxLiveByCampaign: [String: Int] = [:]
    private(set) var violations: [String] = []
    private var liveReservations = Set<UUID>()
    private(set) var resultsPosted = Set<String>()
    private(set) var killedLeads = Set<String>()
    private(set) var deadHosts = Set<String>()
    private var seen: [String: Int] = [:]
    private var sidCounter = 0
    private var background: [Task<Void, Never>] = []
    var totalSlots: Int
    var onPlacement: (@Sendable (Int) async -> Void)?

    init(registry: any CapacityRegistry, scripts: [String: [Script]], publicURL: String, authToken: String,
         resultSecret: String, totalSlots: Int, callDuration: Duration = .milliseconds(30)) {
        self.registry = registry
        self.scripts = scripts
        self.publicURL = publicURL
        self.validator = TwilioSignatureValidator(authToken: authToken)
        self.resultSecret = resultSecret
        self.totalSlots = totalSlots
        self.callDuration = callDuration
    }

    func setBaseURL(_ url: String) { baseURL = url }
    func setOnPlacement(_ hook: @escaping @Sendable (Int) async -> Void) { onPlacement = hook }
    func kill(host: String) { deadHosts.insert(host) }

    func placeCall(_ request: OutboundCallRequest) async throws(CallPlacementError) -> PlacedCall {
        let index = seen[request.to, default: 0]
        seen[request.to] = index + 1
        let steps = scripts[request.to] ?? [.human]
        let step = steps[min(index, steps.count - 1)]
        let host = URLComponents(string: request.streamURL)?.host ?? ""
        let campaign = request.streamParameters["campaign_id"] ?? ""
        let now = ContinuousClock.now
        switch step {
        case .rateLimited(let after):
            placements.append(Placement(at: now, account: request.account, to: request.to, campaignID: campaign, workerHost: host, refused: true))
            rateLimitedAt.append(now)
            throw .rateLimited(retryAfter: after)
        case .invalidNumber(let code):
            placements.append(Placement(at: now, account: request.account, to: request.to, campaignID: campaign, workerHost: host, refused: true))
            throw .invalidNumber(code: code, message: "The 'To' number \(request.to) is not a valid phone number.")
        default:
            break
        }
        placements.append(Placement(at: now, account: request.account, to: request.to, campaignID: campaign, workerHost: host, refused: false))
        sidCounter += 1
        let sid = "CA" + String(format: "%032x", sidCounter)
        live += 1
        if let id = request.streamParameters["reservation_id"].flatMap(UUID.init(uuidString:)) { liveReservations.insert(id) }
        maxLive = max(maxLive, live)
        liveByCampaign[campaign, default: 0] += 1
        maxLiveByCampaign[campaign] = max(maxLiveByCampaign[campaign] ?? 0, liveByCampaign[campaign] ?? 0)
        // An answered call's stream starts at once: the worker confirms before the REST answer
        // is even read (a confirmation later than the hold would let the slot lapse under a live call).
        var confirmed = false
        if step == .human || step == .machine, !deadHosts.contains(host),
           let reservation = request.streamParameters["reservation_id"].flatMap(UUID.init(uuidString:)) {
            confirmed = (try? await registry.confirm(reservationID: reservation, callSID: sid)) != nil
        }
        await checkAgainstRegistry()
        let count = placements.count
        if let onPlacement { await onPlacement(count) }
        background.append(Task { await self.run(step, sid: sid, request: request, host: host, campaign: campaign, confirmed: confirmed) })
        return PlacedCall(callSID: sid)
    }

    /// Every call this fake counts as live must hold a live slot (held or active) in the registry,
    /// and no worker holds more than its slots. A call found without a slot counts as a violation
    /// only if it is still live after the lookup (a call is marked ended before its release).
    private func checkAgainstRegistry() async {
        if live > totalSlots { violations.append("fake live \(live) > \(totalSlots) slots") }
        if let workers = try? await registry.workers() {
            for worker in workers where worker.used > worker.slots {
                violations.append("\(worker.workerID) used \(worker.used) > \(worker.slots)")
            }
        }
        for id in liveReservations {
            let lookup = try? await registry.lookup(reservationID: id)
            let holds = lookup.map { $0.state != .lapsed } ?? false
            if !holds, liveReservations.contains(id) { violations.append("live call \(id) has no registry slot (\(String(describing: lookup)))") }
        }
    }

    private func end(_ campaign: String, _ request: OutboundCallRequest) {
        if let id = request.streamParameters["reservation_id"].flatMap(UUID.init(uuidString:)) { liveReservations.remove(id) }
        live -= 1
        liveByCampaign[campaign, default: 0] -= 1
    }

    /// The call after the REST answer: ring, then the scripted end.
    private func run(_ step: Script, sid: String, request: OutboundCallRequest, host: String, campaign: String, confirmed: Bool) async {
        await status(request, sid: sid, status: "ringing", sequence: 1)
        switch step {
        case .busy, .noAnswer, .failed:
            end(campaign, request)
            let status = step == .busy ? "busy" : (step == .noAnswer ? "no-answer" : "failed")
            await self.status(request, sid: sid, status: status, sequence: 2, twice: true)
        case .human, .machine:
            let answeredBy = step == .human ? "human" : "machine_start"
            guard confirmed, let reservation = request.streamParameters["reservation_id"].flatMap(UUID.init(uuidString:)) else {
                // The worker is gone (or the confirmation failed): the stream never starts, Twilio ends the call.
                killedLeads.insert(request.streamParameters["lead_id"] ?? "")
                end(campaign, request)
                await status(request, sid: sid, status: "completed", sequence: 2, twice: true)
                return
            }
            await status(request, sid: sid, status: "in-progress", sequence: 2, answeredBy: request.machineDetection ? answeredBy : nil)
            try? await Task.sleep(for: callDuration)  // the conversation (simulated behaviour, not synchronisation)
            if deadHosts.contains(host) {
                // The worker died mid-call: no release, no result.
                killedLeads.insert(request.streamParameters["lead_id"] ?? "")
                end(campaign, request)
                await status(request, sid: sid, status: "completed", sequence: 3, twice: true)
                return
            }
            end(campaign, request)
            _ = try? await registry.release(reservationID: reservation)
            await result(request, sid: sid, answeredBy: answeredBy)
            await status(request, sid: sid, status: "completed", sequence: 3, twice: true)
        case .invalidNumber, .rateLimited:
            break
        }
    }

    // MARK: Wire

    private func status(_ request: OutboundCallRequest, sid: String, status: String, sequence: Int,
                        answeredBy: String? = nil, twice: Bool = false) async {
        var form: [(String, String)] = [
            ("AccountSid", request.account), ("ApiVersion", "2010-04-01"), ("CallSid", sid), ("CallStatus", status),
            ("Direction", "outbound-api"), ("From", request.from), ("To", request.to),
            ("CallbackSource", "call-progress-events"), ("SequenceNumber", "\(sequence)"),
        ]
        if let answeredBy { form.append(("AnsweredBy", answeredBy)) }
        let body = form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        let signature = validator.signature(url: request.statusCallbackURL, parameters: Dictionary(grouping: form, by: \.0).mapValues { $0.map(\.1) })
        let target = baseURL + request.statusCallbackURL.dropFirst(publicURL.count)
        for _ in 0..<(twice ? 2 : 1) {
            _ = await post(target, body: Array(body.utf8), headers: [
                ("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature),
            ])
        }
    }

    private func result(_ request: OutboundCallRequest, sid: String, answeredBy: String) async {
        let now = Date()
        var parameters = request.streamParameters
        parameters["AnsweredBy"] = answeredBy
        let result = CallResult(
            identity: CallIdentity(callID: sid, streamID: "MZ" + sid.dropFirst(2), botID: request.streamParameters["bot"] ?? "",
                                   accountID: request.account, from: request.from, to: request.to, customParameters: parameters),
            startedAt: now, endedAt: now, endReason: .callerHungUp, transcript: [], lead: [:], turns: [], usage: CallUsage(),
            estimatedCost: 0, errors: [], providers: [:], phases: [])
        guard let body = try? [UInt8](result.jsonData()) else { return }
        let header = ResultSignature.header(body: body, secret: resultSecret, timestamp: now)
        for _ in 0..<2 {
            let status = await post(baseURL + "/results", body: body, headers: [("Content-Type", "application/json"), (ResultSignature.headerName, header)])
            if status == 200 { resultsPosted.insert(request.streamParameters["lead_id"] ?? "") }
        }
    }

    func post(_ url: String, body: [UInt8], headers: [(String, String)]) async -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        // One request per connection: no idle keep-alive connection holds up the server's shutdown.
        request.headers.add(name: "Connection", value: "close")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 1 << 16)
            return Int(response.status.code)
        } catch {
            return -1
        }
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// Waits for the background calls to end.
    func settle() async {
        let tasks = background
        background.removeAll()
        for task in tasks { await task.value }
    }
}
