import Foundation

/// A Twilio status callback, already verified (`X-Twilio-Signature`), as the dialler uses it.
public struct StatusCallback: Sendable, Hashable {
    /// The attempt (from the callback URL's `reservation_id`).
    public var reservationID: UUID
    /// `CallSid`.
    public var callSID: String?
    /// `CallStatus`: `queued`, `initiated`, `ringing`, `in-progress`, `completed`, `busy`, `no-answer`, `failed`, `canceled`.
    public var status: String
    /// `SequenceNumber` (order of this call's callbacks); 0 when absent.
    public var sequence: Int
    /// `AnsweredBy` with machine detection: `human`, `machine_start`, `machine_end_*`, `fax`, `unknown`.
    public var answeredBy: String?
    /// `ErrorCode`, when present.
    public var errorCode: Int?

    /// Creates a callback value.
    public init(reservationID: UUID, callSID: String?, status: String, sequence: Int = 0, answeredBy: String? = nil, errorCode: Int? = nil) {
        self.reservationID = reservationID
        self.callSID = callSID
        self.status = status
        self.sequence = sequence
        self.answeredBy = answeredBy
        self.errorCode = errorCode
    }

    /// Reads the form fields of a callback; nil when `CallStatus` is missing.
    public init?(reservationID: UUID, form: [String: [String]]) {
        guard let status = form["CallStatus"]?.first, !status.isEmpty else { return nil }
        self.init(
            reservationID: reservationID, callSID: form["CallSid"]?.first, status: status,
            sequence: form["SequenceNumber"]?.first.flatMap { Int($0) } ?? 0,
            answeredBy: form["AnsweredBy"]?.first.flatMap { $0.isEmpty ? nil : $0 },
            errorCode: form["ErrorCode"]?.first.flatMap { Int($0) })
    }
}

/// What the dialler made of a callback or result.
public enum EventHandling: Sendable, Hashable {
    /// The lead changed.
    case applied
    /// Recorded, or a duplicate / stale event: nothing changed (answer 2xx: do not resend).
    case ignored
    /// No attempt of this dialler has that reservation id.
    case unknownAttempt
    /// The database could not be reached: answer 5xx so the sender retries.
    case failed
}
