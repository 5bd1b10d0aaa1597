import Foundation

/// One REST request the ``TwilioFake`` received, for assertions.
public struct TwilioFakeRequest: Sendable {
    /// What the caller had heard when the request arrived (for an update of a live stream).
    public struct CallerSnapshot: Sendable, Hashable {
        /// Agent audio bytes played so far.
        public var playedBytes: Int
        /// Agent audio bytes still queued (not yet played).
        public var queuedBytes: Int
        /// Marks sent by the worker and not yet echoed.
        public var pendingMarks: Int
        /// Marks echoed as played.
        public var playedMarks: Int
    }

    /// `POST` or `GET`.
    public var method: String
    /// The path, e.g. `/2010-04-01/Accounts/AC…/Calls.json`.
    public var path: String
    /// The form fields in order (names may repeat).
    public var form: [(name: String, value: String)]
    /// The raw body.
    public var body: String
    /// Whether the credentials were accepted.
    public var authenticated: Bool
    /// The status the fake answered.
    public var responseStatus: Int
    /// The call the request was about (created or updated), when known.
    public var callSID: String?
    /// The live stream's caller state at arrival, for updates of a streaming call.
    public var callerSnapshot: CallerSnapshot?
    /// When the request arrived.
    public var receivedAt = Date()

    /// The values of form field `name`.
    public func values(_ name: String) -> [String] { form.filter { $0.name == name }.map(\.value) }
    /// The first value of form field `name`.
    public func value(_ name: String) -> String? { values(name).first }
}
