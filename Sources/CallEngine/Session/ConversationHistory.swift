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
    ///
    /// With a `budget` (characters of message text), the oldest messages after the system
    /// prompt are dropped until the rest fits, never splitting a tool call from its result,
    /// and a note says how many were left out: the prompt never grows without bound.
    public func chatMessages(systemPrompt: String, lead: LeadData, budget: Int? = nil) -> [ChatMessage] {
        let messages = allMessages(systemPrompt: systemPrompt, lead: lead)
        guard let budget, let system = messages.first else { return messages }
        var total = messages.reduce(0) { $0 + $1.content.count + $1.toolCalls.reduce(0) { $0 + $1.argumentsJSON.count } }
        var rest = messages.dropFirst()
        var dropped = 0
        while total > budget, rest.count > 1 {
            let first = rest.removeFirst()
            total -= first.content.count + first.toolCalls.reduce(0) { $0 + $1.argumentsJSON.count }
            dropped += 1
            while let next = rest.first, next.role == .tool {
                total -= next.content.count
                rest.removeFirst()
                dropped += 1
            }
        }
        guard dropped > 0 else { return messages }
        return [system, .system("[\(dropped) earlier messages of this call were left out to fit the context budget]")] + rest
    }

    private func allMessages(systemPrompt: String, lead: LeadData) -> [ChatMessage] {
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
