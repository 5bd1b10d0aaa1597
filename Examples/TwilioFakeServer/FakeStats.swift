import CallTesting
import ExampleSupport
import Foundation

extension FakeStats {
    /// A snapshot of `fake`.
    init(fake: TwilioFake) {
        let snapshots = fake.calls
        let calls = snapshots.map { call in
            Call(
                sid: call.sid, to: call.to, from: call.from, status: call.status.rawValue, answeredBy: call.answeredBy?.rawValue,
                createdAtMs: Self.ms(call.createdAt), answeredAtMs: call.answeredAt.map(Self.ms), endedAtMs: call.endedAt.map(Self.ms),
                streamParameters: call.streamParameters, streamEnd: call.streamEnd.map(Self.describe), said: call.said,
                agentAudioBytes: call.agentAudio.count,
                callbackStatuses: call.callbacks.map { $0.callStatus ?? "amd:\($0.answeredBy ?? "")" },
                callbackFailures: call.callbacks.filter { ($0.responseStatus ?? 0) != 200 }.count,
                errors: call.errors)
        }
        let requests = fake.requests.map { request in
            Request(method: request.method, path: request.path, status: request.responseStatus, atMs: Self.ms(request.receivedAt), callSID: request.callSID)
        }
        self.init(
            accountSID: fake.configuration.accountSID, live: fake.liveCallCount, maximumLive: fake.maximumLiveCallCount,
            callsByStatus: Dictionary(grouping: snapshots, by: { $0.status.rawValue }).mapValues(\.count), calls: calls, requests: requests)
    }

    static func ms(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func describe(_ end: TwilioFakeCall.StreamEnd) -> String {
        switch end {
        case .closedByWorker: "closed_by_worker"
        case .redirected: "redirected"
        case .hungUp: "hung_up"
        case .callerHungUp: "caller_hung_up"
        case .other(let reason): "other: \(reason)"
        }
    }
}
