/// twilio-fake's `GET /stats` (Examples/TwilioFakeServer/FakeStats.swift), as the driver reads it.
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
}
