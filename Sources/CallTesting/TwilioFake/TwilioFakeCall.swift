import Foundation
import TwilioREST

/// What the ``TwilioFake`` knows about one call (a snapshot).
public struct TwilioFakeCall: Sendable {
    /// How the media stream ended.
    public enum StreamEnd: Sendable, Hashable {
        /// The worker closed the WebSocket.
        case closedByWorker
        /// An update redirected the call to new TwiML (the fake sent `stop`).
        case redirected
        /// An update hung the call up (`Status=completed`; the fake sent `stop`).
        case hungUp
        /// The scripted caller hung up (its script and the maximum call duration ran out; the
        /// fake ended the call, then sent `stop`).
        case callerHungUp
        /// The connection failed, or the fake ended the stream for another reason.
        case other(String)
    }

    /// A callback the fake posted.
    public struct Callback: Sendable, Hashable {
        /// `CallStatus` (nil for an AMD callback).
        public var callStatus: String?
        /// `AnsweredBy`, if sent.
        public var answeredBy: String?
        /// `SequenceNumber` (progress callbacks).
        public var sequenceNumber: Int?
        /// The HTTP status the receiver answered (nil: no answer).
        public var responseStatus: Int?
    }

    /// `CA…`.
    public var sid: String
    /// `To`.
    public var to: String
    /// `From`.
    public var from: String
    /// Current status.
    public var status: TwilioCallStatus
    /// What detection reported, when it ran.
    public var answeredBy: TwilioAnsweredBy?
    /// `<Say>` texts run, in order.
    public var said: [String] = []
    /// The `<Dial>` destination, once dialled.
    public var dialed: String?
    /// `callerId` of the `<Dial>`.
    public var dialCallerID: String?
    /// Whether the call was handed on with `<Dial>`.
    public var transferred: Bool { dialed != nil }
    /// The stream's `customParameters` (from `<Parameter>`s), once a stream started.
    public var streamParameters: [String: String]?
    /// How the stream ended.
    public var streamEnd: StreamEnd?
    /// Agent audio the caller heard (mu-law), in order.
    public var agentAudio: [UInt8] = []
    /// Marks the caller echoed as played.
    public var playedMarks = 0
    /// Callbacks posted, in order.
    public var callbacks: [Callback] = []
    /// Errors the fake met running the call (unreachable callback, bad TwiML, …).
    public var errors: [String] = []
    /// When the create request was accepted.
    public var createdAt = Date()
    /// When the call was answered (went `in-progress`), if it was.
    public var answeredAt: Date?
    /// When the call reached its final status (the end of the fake's own live count).
    public var endedAt: Date?

    /// Whether the call is over.
    public var isEnded: Bool { status.isFinal }
}
