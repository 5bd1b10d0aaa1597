import SpeechServices

/// One thing that happened in the conversation, in call order.
public enum ConversationEntry: Sendable, Hashable, Codable {
    /// The caller said something (as transcribed).
    case caller(CallerTurn)
    /// The agent said (or started to say) something.
    case agent(AgentTurn)
    /// The language model asked for a tool; `result` is what the tool returned.
    case tool(ToolExchange)
    /// The caller pressed keys.
    case dtmf(digits: String, at: Duration)
}

/// A caller utterance and its timing.
public struct CallerTurn: Sendable, Hashable, Codable {
    /// Transcript text.
    public var text: String
    /// Call time the caller started speaking.
    public var speechStart: Duration
    /// Call time the caller stopped speaking.
    public var speechEnd: Duration
    /// True when the utterance interrupted the agent.
    public var interruptedAgent: Bool

    /// Creates a caller turn.
    public init(text: String, speechStart: Duration, speechEnd: Duration, interruptedAgent: Bool = false) {
        self.text = text
        self.speechStart = speechStart
        self.speechEnd = speechEnd
        self.interruptedAgent = interruptedAgent
    }
}

/// What the agent generated and what the caller actually heard.
public struct AgentTurn: Sendable, Hashable, Codable {
    /// Why the agent spoke.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The greeting at call start.
        case greeting
        /// An answer from the language model.
        case reply
        /// "Are you still there?"
        case idlePrompt
        /// The apology after a provider failure.
        case apology
        /// The goodbye before hanging up.
        case goodbye
    }

    /// Why the agent spoke.
    public var kind: Kind
    /// Sentence chunks generated for speech, in order.
    public var generated: [String]
    /// How many leading chunks the transport confirmed as played (their marks echoed before any clear).
    public var playedChunks: Int
    /// True when the caller interrupted (barge-in) before the end.
    public var interrupted: Bool
    /// Call time the first chunk was queued.
    public var startedAt: Duration
    /// The words of the chunk that was playing when the caller interrupted and that the
    /// caller heard (estimated from the chunk's duration and how long it played before the
    /// clear); nil when no chunk was cut part-way.
    public var heardPartial: String?

    /// Creates an agent turn.
    public init(
        kind: Kind, generated: [String] = [], playedChunks: Int = 0, interrupted: Bool = false, startedAt: Duration,
        heardPartial: String? = nil
    ) {
        self.kind = kind
        self.generated = generated
        self.playedChunks = playedChunks
        self.interrupted = interrupted
        self.startedAt = startedAt
        self.heardPartial = heardPartial
    }

    /// Everything generated, joined.
    public var generatedText: String { generated.joined(separator: " ") }

    /// Only what the caller heard, joined: the confirmed chunks, then the heard words of a
    /// chunk cut part-way.
    public var playedText: String {
        let played = generated.prefix(playedChunks)
        guard let heardPartial, !heardPartial.isEmpty else { return played.joined(separator: " ") }
        return (played + [heardPartial]).joined(separator: " ")
    }
}

/// A tool call and its result.
public struct ToolExchange: Sendable, Hashable, Codable {
    /// The model's call.
    public var call: ToolCall
    /// The result handed back to the model.
    public var result: String
    /// Call time the tool ran.
    public var at: Duration

    /// Creates an exchange.
    public init(call: ToolCall, result: String, at: Duration) {
        self.call = call
        self.result = result
        self.at = at
    }
}

extension ToolCall: Hashable {
    /// Hashes all fields.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(name)
        hasher.combine(argumentsJSON)
    }
}
