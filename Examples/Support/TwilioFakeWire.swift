/// What twilio-fake (Examples/TwilioFakeServer) answers on its control port, shared by the
/// server that writes it and the tools that read it (dialler-campaign).
///
/// `GET /stats`: the fake's own count of live calls, every call with its timestamps
/// (milliseconds since 1970) and every REST request.
package struct FakeStats: Codable, Sendable {
    /// One call the fake created.
    package struct Call: Codable, Sendable {
        package var sid: String
        package var to: String
        package var from: String
        package var status: String
        package var answeredBy: String?
        package var createdAtMs: Int64
        package var answeredAtMs: Int64?
        package var endedAtMs: Int64?
        /// The stream's `<Parameter>`s (reservation_id, lead_id, campaign_id, AnsweredBy, …), once a stream started.
        package var streamParameters: [String: String]?
        package var streamEnd: String?
        package var said: [String]
        package var agentAudioBytes: Int
        package var callbackStatuses: [String]
        package var callbackFailures: Int
        package var errors: [String]

        package init(
            sid: String, to: String, from: String, status: String, answeredBy: String?, createdAtMs: Int64, answeredAtMs: Int64?,
            endedAtMs: Int64?, streamParameters: [String: String]?, streamEnd: String?, said: [String], agentAudioBytes: Int,
            callbackStatuses: [String], callbackFailures: Int, errors: [String]
        ) {
            self.sid = sid
            self.to = to
            self.from = from
            self.status = status
            self.answeredBy = answeredBy
            self.createdAtMs = createdAtMs
            self.answeredAtMs = answeredAtMs
            self.endedAtMs = endedAtMs
            self.streamParameters = streamParameters
            self.streamEnd = streamEnd
            self.said = said
            self.agentAudioBytes = agentAudioBytes
            self.callbackStatuses = callbackStatuses
            self.callbackFailures = callbackFailures
            self.errors = errors
        }
    }

    /// One REST request the fake answered.
    package struct Request: Codable, Sendable {
        package var method: String
        package var path: String
        package var status: Int
        package var atMs: Int64
        package var callSID: String?

        package init(method: String, path: String, status: Int, atMs: Int64, callSID: String?) {
            self.method = method
            self.path = path
            self.status = status
            self.atMs = atMs
            self.callSID = callSID
        }
    }

    package var accountSID: String
    package var live: Int
    package var maximumLive: Int
    package var callsByStatus: [String: Int]
    package var calls: [Call]
    package var requests: [Request]

    package init(accountSID: String, live: Int, maximumLive: Int, callsByStatus: [String: Int], calls: [Call], requests: [Request]) {
        self.accountSID = accountSID
        self.live = live
        self.maximumLive = maximumLive
        self.callsByStatus = callsByStatus
        self.calls = calls
        self.requests = requests
    }
}

/// One line of `GET /placements`: a call the fake accepted.
package struct Placement: Codable, Sendable {
    package var index: Int
    package var sid: String
    package var to: String
    package var atMs: Int64
    /// The fake's live count when the line was written.
    package var live: Int

    package init(index: Int, sid: String, to: String, atMs: Int64, live: Int) {
        self.index = index
        self.sid = sid
        self.to = to
        self.atMs = atMs
        self.live = live
    }
}
