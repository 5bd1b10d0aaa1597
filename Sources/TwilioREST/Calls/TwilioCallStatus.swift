/// A call's `status` (REST) or `CallStatus` (callbacks).
public enum TwilioCallStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `queued`.
    case queued
    /// `initiated` (callbacks only).
    case initiated
    /// `ringing`.
    case ringing
    /// `in-progress`: answered.
    case inProgress
    /// `completed`.
    case completed
    /// `busy`.
    case busy
    /// `failed`.
    case failed
    /// `no-answer`.
    case noAnswer
    /// `canceled`.
    case canceled
    /// A value this version does not know (kept as sent, at most 64 characters).
    case other(String)

    /// Parses Twilio's spelling.
    public init(_ raw: String) {
        switch raw {
        case "queued": self = .queued
        case "initiated": self = .initiated
        case "ringing": self = .ringing
        case "in-progress", "answered": self = .inProgress
        case "completed": self = .completed
        case "busy": self = .busy
        case "failed": self = .failed
        case "no-answer": self = .noAnswer
        case "canceled": self = .canceled
        default: self = .other(String(raw.prefix(64)))
        }
    }

    /// Twilio's spelling.
    public var rawValue: String {
        switch self {
        case .queued: "queued"
        case .initiated: "initiated"
        case .ringing: "ringing"
        case .inProgress: "in-progress"
        case .completed: "completed"
        case .busy: "busy"
        case .failed: "failed"
        case .noAnswer: "no-answer"
        case .canceled: "canceled"
        case .other(let raw): raw
        }
    }

    /// Whether the call is over.
    public var isFinal: Bool {
        switch self {
        case .completed, .busy, .failed, .noAnswer, .canceled: true
        default: false
        }
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
