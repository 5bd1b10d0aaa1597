/// The one owner of agent playback: which speeches are queued, which chunk each mark closes,
/// what was played, and, on barge-in, how much of the chunk that was cut the caller heard.
///
/// Pure value. Times are call-audio time (the caller's 20 ms frame clock, which runs with
/// the carrier's playback). A chunk starts playing when the chunk before it finished
/// (its mark was played) or, if the queue was empty, when its first audio was queued.
struct PlaybackLedger: Sendable {
    /// One sentence of agent audio and the mark after it.
    struct Chunk: Sendable {
        var mark: PlaybackMark?
        var text: String = ""
        var duration: Duration = .zero
        var queuedAt: Duration
        var startedAt: Duration?
        var played = false
    }

    /// One agent turn's speech.
    struct Speech: Sendable {
        var turn: Int
        var agent: AgentTurn
        var chunks: [Chunk] = []
        var generationDone = false
        /// Hang up with this reason once the speech has played (goodbye, transfer line).
        var hangUpAfter: CallEndReason?

        var hasUnplayedMark: Bool { chunks.contains { $0.mark != nil && !$0.played } }
    }

    private(set) var speeches: [Speech] = []
    private var nextMark: UInt64 = 0

    /// Nothing is queued or audible.
    var isEmpty: Bool { speeches.isEmpty }

    /// Whether `turn` has queued audio.
    func isSpeaking(_ turn: Int) -> Bool { speeches.contains { $0.turn == turn } }

    /// Audio of `turn` was queued at `time`. Returns true when this is the turn's first audio
    /// (a new speech started).
    mutating func audioQueued(turn: Int, kind: AgentTurn.Kind, duration: Duration, at time: Duration, hangUpAfter: CallEndReason?) -> Bool {
        let queueWasIdle = !speeches.contains { $0.chunks.contains { !$0.played } }
        var started = false
        if !speeches.contains(where: { $0.turn == turn }) {
            speeches.append(Speech(turn: turn, agent: AgentTurn(kind: kind, startedAt: time), hangUpAfter: hangUpAfter))
            started = true
        }
        guard let s = speeches.lastIndex(where: { $0.turn == turn }) else { return started }
        if speeches[s].chunks.last.map({ $0.mark != nil }) ?? true {
            speeches[s].chunks.append(Chunk(queuedAt: time, startedAt: queueWasIdle ? time : nil))
        }
        speeches[s].chunks[speeches[s].chunks.count - 1].duration += duration
        return started
    }

    /// The sentence `text` of `turn` is complete: closes its chunk and returns the mark to
    /// send after its audio, or nil when the turn has no open chunk.
    mutating func chunkFinished(turn: Int, text: String) -> PlaybackMark? {
        guard let s = speeches.lastIndex(where: { $0.turn == turn }), let last = speeches[s].chunks.indices.last,
            speeches[s].chunks[last].mark == nil
        else { return nil }
        nextMark += 1
        let mark = PlaybackMark(rawValue: nextMark)
        speeches[s].chunks[last].mark = mark
        speeches[s].chunks[last].text = text
        speeches[s].agent.generated.append(text)
        return mark
    }

    /// `turn` will produce nothing more.
    mutating func generationEnded(turn: Int) {
        guard let s = speeches.lastIndex(where: { $0.turn == turn }) else { return }
        speeches[s].generationDone = true
        // Audio queued without a closing sentence (cut short): it is not a chunk anyone will mark.
        if let last = speeches[s].chunks.last, last.mark == nil { speeches[s].chunks.removeLast() }
    }

    /// Attaches a hang-up to `turn`'s speech, if it has one.
    mutating func hangUp(after turn: Int, reason: CallEndReason) -> Bool {
        guard let s = speeches.lastIndex(where: { $0.turn == turn }) else { return false }
        speeches[s].hangUpAfter = reason
        return true
    }

    /// Outcome of a played mark.
    enum MarkOutcome: Sendable, Equatable {
        /// The mark was a flushed one, or unknown: nothing changes.
        case ignored
        /// A chunk played; its speech goes on.
        case played
        /// The speech of `turn` played to its end.
        case speechCompleted(AgentTurn, hangUpAfter: CallEndReason?)
    }

    /// The carrier played the audio before `mark` at `time`.
    mutating func markPlayed(_ mark: PlaybackMark, at time: Duration) -> MarkOutcome {
        guard let s = speeches.firstIndex(where: { $0.chunks.contains { $0.mark == mark } }),
            let c = speeches[s].chunks.firstIndex(where: { $0.mark == mark })
        else { return .ignored }
        // The carrier plays in order: every earlier chunk has played too.
        for i in 0...s {
            for k in speeches[i].chunks.indices where i < s || k <= c {
                speeches[i].chunks[k].played = true
            }
        }
        speeches[s].agent.playedChunks = max(speeches[s].agent.playedChunks, c + 1)
        startNextChunk(at: time)
        return completeIfPlayed(s)
    }

    /// `turn` ended: if its speech has played entirely, completes it.
    mutating func turnEnded(_ turn: Int) -> MarkOutcome {
        guard let s = speeches.lastIndex(where: { $0.turn == turn }) else { return .ignored }
        return completeIfPlayed(s)
    }

    /// Barge-in at `time`: every speech ends interrupted, with the words the caller heard.
    /// Its marks are forgotten: a late report of one of them is ignored.
    /// - Returns: the agent turns for the history, oldest first, and the turns to cancel.
    mutating func interrupt(at time: Duration) -> (heard: [AgentTurn], turns: [Int]) {
        var cursor: Duration?
        var result: [AgentTurn] = []
        for speech in speeches {
            var agent = speech.agent
            for chunk in speech.chunks where !chunk.played {
                let start = cursor ?? chunk.startedAt ?? time
                let heard = min(max(time - start, .zero), chunk.duration)
                cursor = start + chunk.duration
                if heard > .zero, agent.heardPartial == nil, chunk.mark != nil {
                    agent.heardPartial = Self.words(of: chunk.text, fraction: chunk.duration > .zero ? heard / chunk.duration : 0)
                    if agent.heardPartial?.isEmpty == true { agent.heardPartial = nil }
                }
            }
            agent.interrupted = agent.playedChunks < agent.generated.count || !speech.generationDone
            result.append(agent)
        }
        let turns = speeches.map(\.turn)
        speeches.removeAll()
        return (result, turns)
    }

    /// The call ended: every speech as far as it played.
    mutating func drainForEnd() -> [AgentTurn] {
        defer { speeches.removeAll() }
        return speeches.map { speech in
            var agent = speech.agent
            agent.interrupted = agent.playedChunks < agent.generated.count
            return agent
        }
    }

    /// The leading words of `text` that fit in `fraction` of its characters.
    static func words(of text: String, fraction: Double) -> String {
        let budget = Int((Double(text.count) * min(max(fraction, 0), 1)).rounded(.down))
        var kept: [Substring] = []
        var used = 0
        for word in text.split(separator: " ") {
            let cost = word.count + (kept.isEmpty ? 0 : 1)
            guard used + cost <= budget else { break }
            kept.append(word)
            used += cost
        }
        return kept.joined(separator: " ")
    }

    private mutating func startNextChunk(at time: Duration) {
        for s in speeches.indices {
            if let k = speeches[s].chunks.firstIndex(where: { !$0.played }) {
                if speeches[s].chunks[k].startedAt == nil {
                    speeches[s].chunks[k].startedAt = max(time, speeches[s].chunks[k].queuedAt)
                }
                return
            }
        }
    }

    private mutating func completeIfPlayed(_ s: Int) -> MarkOutcome {
        let speech = speeches[s]
        guard speech.generationDone, !speech.hasUnplayedMark, !speech.chunks.contains(where: { $0.mark == nil }) else { return .played }
        speeches.remove(at: s)
        return .speechCompleted(speech.agent, hangUpAfter: speech.hangUpAfter)
    }
}
