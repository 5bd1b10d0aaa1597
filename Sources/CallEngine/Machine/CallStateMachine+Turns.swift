import SpeechServices
import VoiceActivity

/// Events from turn tasks (transcripts, audio, sentences, tools, failures) and from the
/// transport's playback reports.
extension CallStateMachine {
    // MARK: Transcripts

    /// Turn `id` transcribed `utterance`. Returns the model's messages when a reply should
    /// follow (nil: the turn stops).
    mutating func transcribed(
        _ id: Int, utterance: Utterance, transcript: Transcript, servedBy descriptor: ProviderDescriptor?, wall: Duration
    ) -> (messages: [ChatMessage]?, actions: [CallAction]) {
        guard isActive(id) else { return (nil, []) }
        accounting.transcribed(seconds: utterance.seconds, servedBy: descriptor, speculative: false)
        accounting.note(id, \.sttDone, at: wall)
        return accept(id, transcript: transcript, speechStart: utterance.speechStart, speechEnd: utterance.speechEnd)
    }

    /// The caller's words for reply turn `id`: junk ends the turn, anything else joins the
    /// history and the reply goes on with the model's messages.
    mutating func accept(_ id: Int, transcript: Transcript, speechStart: Duration, speechEnd: Duration) -> (messages: [ChatMessage]?, actions: [CallAction]) {
        var actions: [CallAction] = []
        let normalised = CallEngineConfiguration.normalise(transcript.text)
        guard !configuration.junkTranscripts.contains(normalised) else {
            actions.append(.note(.junkTranscript(transcript.text)))
            activeTurns.remove(id)
            dropReply(id)
            if phase == .thinking { enter(ledger.isEmpty ? .listening : .speaking(reply: nil)) }
            return (nil, actions)
        }
        timers.idlePrompts = 0
        history.append(.caller(CallerTurn(text: transcript.text, speechStart: speechStart, speechEnd: speechEnd)))
        actions.append(.checkpoint)
        return (messages, actions)
    }

    /// Turn `id` transcribed a short utterance heard over the agent: a backchannel changes
    /// nothing; anything else interrupts and starts a reply.
    mutating func interruptionChecked(_ id: Int, utterance: Utterance, transcript: Transcript, wall: Duration) -> [CallAction] {
        var actions: [CallAction] = []
        guard isActive(id) else { return actions }
        accounting.transcribed(seconds: utterance.seconds, servedBy: nil, speculative: false)
        let words = CallEngineConfiguration.normalise(transcript.text).split(separator: " ").count
        if configuration.bargeIn.isBackchannel(transcript.text) || words == 0 || words < configuration.bargeIn.minimumWords {
            actions.append(.note(.backchannel(transcript.text)))
            return actions
        }
        interruptAgent(into: &actions)
        callerTurns += 1
        timers.idlePrompts = 0
        history.append(
            .caller(CallerTurn(text: transcript.text, speechStart: utterance.speechStart, speechEnd: utterance.speechEnd, interruptedAgent: true))
        )
        if let previous = replyTurn { cancel([previous], into: &actions) }
        let reply = newTurn(.reply, into: &actions)
        var timings = TurnTimings()
        timings.callerSpeechEnded = wall
        accounting.beginTimings(reply, timings)
        enter(.thinking(reply: reply))
        actions.append(.checkpoint)
        return actions
    }

    /// The model's context now.
    var messages: [ChatMessage] {
        history.chatMessages(systemPrompt: configuration.systemPrompt, lead: lead, budget: configuration.contextBudget)
    }

    // MARK: Audio and sentences

    /// Turn `id` of `kind` queued `duration` of audio. Returns false when the turn is no longer
    /// active (it must stop producing); otherwise the audio may be sent.
    mutating func audioQueued(_ id: Int, kind: AgentTurn.Kind, duration: Duration, wall: Duration) -> Bool {
        guard isActive(id) else { return false }
        let first = ledger.audioQueued(turn: id, kind: kind, duration: duration, at: timers.audioTime, hangUpAfter: hangUpAfter[id])
        accounting.note(id, \.firstAudioOut, at: wall)
        if first {
            if kind == .reply { consecutiveFailures = 0 }
            if phase != .speaking, phase != .greeting, !caller.inUtterance { enter(.speaking(reply: replyTurn)) }
        }
        return true
    }

    /// Turn `id` finished the sentence `text`: the mark to send after its audio, if any.
    mutating func sentenceQueued(_ id: Int, text: String) -> (mark: PlaybackMark?, active: Bool) {
        guard isActive(id) else { return (nil, false) }
        return (ledger.chunkFinished(turn: id, text: text), true)
    }

    /// A stage time of turn `id`.
    mutating func note(_ id: Int, _ keyPath: WritableKeyPath<TurnTimings, Duration?>, wall: Duration) {
        accounting.note(id, keyPath, at: wall)
    }

    /// Usage of turn `id` (tokens, TTS characters, cache hits, the provider that served).
    mutating func usage(tokens: TokenUsage?, ttsCharacters: Int, cacheHit: Bool, served: (String, ProviderDescriptor)?) -> [CallAction] {
        accounting.add(tokens: tokens, ttsCharacters: ttsCharacters, cacheHit: cacheHit, served: served)
        return cacheHit ? [.note(.ttsCacheHit)] : []
    }

    // MARK: Playback reports

    /// The transport played the audio before `mark`.
    mutating func markPlayed(_ mark: PlaybackMark) -> [CallAction] {
        var actions: [CallAction] = []
        guard endReason == nil else { return actions }
        speechSettled(ledger.markPlayed(mark, at: timers.audioTime), into: &actions)
        return actions
    }


    private mutating func speechSettled(_ outcome: PlaybackLedger.MarkOutcome, into actions: inout [CallAction]) {
        guard case .speechCompleted(let agent, let hangUp) = outcome else { return }
        history.append(.agent(agent))
        timers.noteActivity()
        if let hangUp {
            finish(hangUp, into: &actions)
            return
        }
        actions.append(.checkpoint)
        guard ledger.isEmpty else { return }
        switch phase {
        case .greeting: enter(.listening)
        case .speaking: enter(replyTurn.map { .thinking(reply: $0) } ?? .listening)
        default: break
        }
    }

    // MARK: Turn end

    /// Turn `id` ended; `failure` names the stage that failed after resilience, if any.
    mutating func turnEnded(_ id: Int, failure: (CallStatistics.Stage, ProviderError)?) -> [CallAction] {
        var actions: [CallAction] = []
        activeTurns.remove(id)
        var failure = failure
        if var speculation, speculation.turn == id, !speculation.adopted {
            // A speculation that failed changes nothing: the utterance is transcribed at its end
            // (and not speculated again while the caller stays quiet).
            if speculation.transcript == nil {
                speculation.failed = true
                self.speculation = speculation
            }
            failure = nil
        }
        let wasReply = replyTurn == id
        dropReply(id)
        if let timings = accounting.endTimings(id) { actions.append(.note(.turnCompleted(timings))) }
        ledger.generationEnded(turn: id)
        guard endReason == nil else { return actions }
        // An apology is on its way: stay in `thinking` until it plays (its first audio moves
        // the call to `speaking`), so the call never looks idle in between.
        var apologyQueued = false
        if let (stage, error) = failure {
            let message = "\(stage.rawValue) failed: \(error)"
            accounting.record(error: message)
            actions.append(.note(.providerFailed(stage, message)))
            consecutiveFailures += 1
            if consecutiveFailures >= configuration.maximumConsecutiveFailures {
                sayGoodbye(.providerFailure, into: &actions)
            } else if !isClosing {
                _ = newTurn(.say(configuration.apology, .apology), into: &actions)
                apologyQueued = true
            }
        }
        if let reason = hangUpAfter.removeValue(forKey: id), !ledger.isSpeaking(id) {
            // Nothing was played (TTS failed, or an empty line): hang up now.
            finish(reason, into: &actions)
            return actions
        }
        speechSettled(ledger.turnEnded(id), into: &actions)
        guard !apologyQueued, ledger.isEmpty, replyTurn == nil else { return actions }
        switch state {
        case .thinking, .greeting:
            enter(caller.inUtterance ? .callerSpeaking(reply: nil) : .listening)
        default:
            if wasReply, case .callerSpeaking = state, !caller.inUtterance { enter(.listening) }
        }
        return actions
    }

    // MARK: Tools

    /// A built-in tool call of turn `id`. Returns the result for the model and whether the
    /// model's conversation goes on (false: the call is ending).
    mutating func builtinTool(_ id: Int, call: ToolCall, tool: BuiltinTool) -> (result: String, goOn: Bool, actions: [CallAction]) {
        var actions: [CallAction] = []
        guard isActive(id) else { return ("", false, actions) }
        let decision = BuiltinToolHandler.decide(tool, argumentsJSON: call.argumentsJSON, lead: &lead, schema: configuration.leadSchema)
        history.append(.tool(ToolExchange(call: call, result: decision.result, at: timers.audioTime)))
        switch decision.effect {
        case .none:
            return (decision.result, true, actions)
        case .endCall(let farewell):
            actions.append(.note(.agentEnds(.agentEnded, target: nil)))
            endAfterLine(id, line: farewell ?? configuration.goodbye, reason: .agentEnded, into: &actions)
        case .transfer(let target):
            accounting.transferTarget = target
            actions.append(.note(.agentEnds(.transferred, target: target)))
            endAfterLine(id, line: nil, reason: .transferred, into: &actions)
        }
        return (decision.result, false, actions)
    }

    /// An application tool of turn `id` returned `result`.
    mutating func toolReturned(_ id: Int, call: ToolCall, result: String) -> Bool {
        guard isActive(id) else { return false }
        history.append(.tool(ToolExchange(call: call, result: result, at: timers.audioTime)))
        return true
    }

    /// Says `line` (or lets turn `id` finish its own speech when nil), then hangs up with `reason`.
    private mutating func endAfterLine(_ id: Int, line: String?, reason: CallEndReason, into actions: inout [CallAction]) {
        if let line, !line.isEmpty {
            let goodbye = newTurn(.say(line, .goodbye), into: &actions)
            hangUpAfter[goodbye] = reason
        } else {
            hangUpAfter[id] = reason
            _ = ledger.hangUp(after: id, reason: reason)
        }
        enter(.closing(reason: reason, deadline: closingDeadline))
    }
}

extension Utterance {
    /// Seconds of audio.
    var seconds: Double { Double(samples.count) / Double(max(sampleRate, 1)) }
}
