import Foundation

/// Everything the business needs after a call: delivered to a ``ResultSink`` and never lost.
public struct CallResult: Sendable, Hashable, Codable {
    /// Ids and carrier data.
    public var identity: CallIdentity
    /// Wall-clock start.
    public var startedAt: Date
    /// Wall-clock end.
    public var endedAt: Date
    /// Why it ended.
    public var endReason: CallEndReason
    /// The conversation: caller turns, agent turns (generated and played), tools, DTMF.
    public var transcript: [ConversationEntry]
    /// Lead data collected.
    public var lead: [String: String]
    /// Per-turn timings (call time).
    public var turns: [TurnTimings]
    /// Billable usage.
    public var usage: CallUsage
    /// Estimated cost from the configured prices.
    public var estimatedCost: Double
    /// Errors met during the call (provider failures, bad input, engine bugs), as text.
    public var errors: [String]
    /// Which provider served each stage, e.g. `["stt": "openai:whisper-1"]` (last one used).
    public var providers: [String: String]
    /// Phase transitions.
    public var phases: [PhaseMachine.Transition]
    /// A transfer target, when the call was transferred.
    public var transferTarget: String?
    /// Who answered an outbound call, as answering-machine detection reported it (Twilio's
    /// `AnsweredBy`: `human`, `machine_end_beep`, …); nil when detection did not run.
    public var answeredBy: String?
    /// For a machine answer: true when the bot's voicemail message was left, false when the
    /// bot hung up instead; nil for other calls.
    public var voicemailLeft: Bool?

    /// Call duration.
    public var duration: TimeInterval { endedAt.timeIntervalSince(startedAt) }

    /// Creates a result.
    public init(
        identity: CallIdentity, startedAt: Date, endedAt: Date, endReason: CallEndReason,
        transcript: [ConversationEntry], lead: [String: String], turns: [TurnTimings], usage: CallUsage,
        estimatedCost: Double, errors: [String], providers: [String: String], phases: [PhaseMachine.Transition],
        transferTarget: String? = nil
    ) {
        self.identity = identity
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.transcript = transcript
        self.lead = lead
        self.turns = turns
        self.usage = usage
        self.estimatedCost = estimatedCost
        self.errors = errors
        self.providers = providers
        self.phases = phases
        self.transferTarget = transferTarget
    }

    /// JSON encoding used by the sinks (ISO 8601 dates, sorted keys).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Decodes what ``jsonData()`` wrote.
    public static func decode(_ data: Data) throws -> CallResult {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(CallResult.self, from: data)
    }
}
