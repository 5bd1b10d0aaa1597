import SpeechServices

/// The conversation so far, and how it becomes the language model's context.
///
/// Agent turns contribute only what the caller heard: an interrupted reply appears in the
/// model's context as its played part, so the model does not believe it said things the
/// caller never heard.
public struct ConversationHistory: Sendable, Hashable, Codable {
    /// Entries in call order.
    public private(set) var entries: [ConversationEntry] = []
    /// Upper bound on entries kept; the oldest are dropped beyond it.
    public var maximumEntries: Int

    /// Creates an empty history.
    public init(maximumEntries: Int = 500) {
        self.maximumEntries = maximumEntries
    }

    /// Appends an entry, dropping the oldest beyond ``maximumEntries``.
    public mutating func append(_ entry: ConversationEntry) {
        entries.append(entry)
        if entries.count > maximumEntries { entries.removeFirst(entries.count - maximumEntries) }
    }

    /// Updates the most recent agent turn, if any.
    mutating func updateLastAgentTurn(_ update: (inout AgentTurn) -> Void) {
        guard let index = entries.lastIndex(where: { if case .agent = $0 { true } else { false } }),
            case .agent(var turn) = entries[index]
        else { return }
        update(&turn)
        entries[index] = .agent(turn)
    }

    /// The most recent agent turn.
    public var lastAgentTurn: AgentTurn? {
        for entry in entries.reversed() { if case .agent(let turn) = entry { return turn } }
        return nil
    }

    /// Caller turns in order.
    public var callerTurns: [CallerTurn] {
        entries.compactMap { if case .caller(let turn) = $0 { turn } else { nil } }
    }

    /// Agent turns in order.
    public var agentTurns: [AgentTurn] {
        entries.compactMap { if case .agent(let turn) = $0 { turn } else { nil } }
    }

    /// The chat messages for the next language-model request.
    public func chatMessages(systemPrompt: String, lead: LeadData) -> [ChatMessage] {
        var system = systemPrompt
        if !lead.values.isEmpty {
            system += "\n\nKnown lead data: " + lead.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        }
        var messages: [ChatMessage] = [.system(system)]
        for entry in entries {
            switch entry {
            case .caller(let turn):
                messages.append(.user(turn.text))
            case .agent(let turn):
                let heard = turn.kind == .reply || turn.kind == .greeting ? turn.playedText : ""
                if !heard.isEmpty {
                    messages.append(.assistant(turn.interrupted ? heard + " [interrupted by the caller]" : heard))
                }
            case .tool(let exchange):
                messages.append(.assistant("", toolCalls: [exchange.call]))
                messages.append(.tool(callID: exchange.call.id, result: exchange.result))
            case .dtmf(let digits, _):
                messages.append(.user("[The caller pressed the keys: \(digits)]"))
            }
        }
        return messages
    }
}
