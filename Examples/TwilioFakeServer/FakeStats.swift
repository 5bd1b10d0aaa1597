import CallTesting
import Foundation

/// What `GET /stats` answers: the fake's own count of live calls, every call with its
/// timestamps (milliseconds since 1970) and every REST request.
struct FakeStats: Codable, Sendable {
    struct Call: Codable, Sendable {
        var sid: String
        var to: String
        var from: String
        var status: String
        var answeredBy: String?
        var createdAtMs: Int64
        var answeredAtMs: Int64?
        var endedAtMs: Int64?
        /// The stream's `<Parameter>`s (reservation_id, lead_id, campaign_id, AnsweredBy, …), once a stream started.
        var streamParameters: [String: String]?
        var streamEnd: String?
        var said: [String]
        var agentAudioBytes: Int
        var callbackStatuses: [String]
        var callbackFailures: Int
        var errors: [String]
    }

    struct Request: Codable, Sendable {
        var method: String
        var path: String
        var status: Int
        var atMs: Int64
        var callSID: String?
    }

    var accountSID: String
    var live: Int
    var maximumLive: Int
    var callsByStatus: [String: Int]
    var calls: [Call]
    var requests: [Request]

    init(fake: TwilioFake) {
        accountSID = fake.configuration.accountSID
        live = fake.liveCallCount
        maximumLive = fake.maximumLiveCallCount
        let snapshots = fake.calls
        calls = snapshots.map { call in
            Call(
                sid: call.sid, to: call.to, from: call.from, status: call.status.rawValue, answeredBy: call.answeredBy?.rawValue,
                createdAtMs: Self.ms(call.createdAt), answeredAtMs: call.answeredAt.map(Self.ms), endedAtMs: call.endedAt.map(Self.ms),
                streamParameters: call.streamParameters, streamEnd: call.streamEnd.map(Self.describe), said: call.said,
                agentAudioBytes: call.agentAudio.count,
                callbackStatuses: call.callbacks.map { $0.callStatus ?? "amd:\($0.answeredBy ?? "")" },
                callbackFailures: call.callbacks.filter { ($0.responseStatus ?? 0) != 200 }.count,
                errors: call.errors)
        }
        callsByStatus = Dictionary(grouping: snapshots, by: { $0.status.rawValue }).mapValues(\.count)
        requests = fake.requests.map { request in
            Request(method: request.method, path: request.path, status: request.responseStatus, atMs: Self.ms(request.receivedAt), callSID: request.callSID)
        }
    }

    static func ms(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func describe(_ end: TwilioFakeCall.StreamEnd) -> String {
        switch end {
        case .closedByWorker: "closed_by_worker"
        case .redirected: "redirected"
        case .hungUp: "hung_up"
        case .other(let reason): "other: \(reason)"
        }
    }
}

/// One line of `GET /placements`: a call the fake accepted.
struct Placement: Codable, Sendable {
    var index: Int
    var sid: String
    var to: String
    var atMs: Int64
    /// The fake's live count when the line was written.
    var live: Int
}
