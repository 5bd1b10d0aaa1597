import SpeechServices
import VoiceActivity

/// Every decision of one call, as a value: feed it events, execute the ``CallAction``s it
/// returns. No clock, no tasks, no I/O; ``CallConversation`` is the actor that executes.
///
/// The phase lives in a private ``State`` whose cases carry what exists only in that
/// phase (the turn answering the caller, the closing reason and deadline). The rest has one
/// owner each: ``PlaybackLedger`` (agent speech and marks), ``CallTimers`` (clocks,
/// idle, keys), ``CallAccounting`` (usage, errors, timings), the caller's utterance
/// (``CallerActivity``), the history and the lead.
///
///     connecting -> greeting -> listening <-> callerSpeaking -> thinking -> speaking -> listening ...
///     any phase -> closing (goodbye, transfer line; `ending`) -> ended
struct CallStateMachine: Sendable {
    /// The phase, with what exists only in it.
    enum State: Sendable, Equatable {
        case connecting
        case greeting(turn: Int)
        case listening
        case callerSpeaking(reply: Int?)
        case thinking(reply: Int?)
        case speaking(reply: Int?)
        case closing(reason: CallEndReason, deadline: Duration)
        case ended(CallEndReason)

        var phase: CallPhase {
            switch self {
            case .connecting: .connecting
            case .greeting: .greeting
            case .listening: .listening
            case .callerSpeaking: .callerSpeaking
            case .thinking: .thinking
            case .speaking: .speaking
            case .closing: .ending
            case .ended: .ended
            }
        }

        /// The turn answering the caller, if one is in flight.
        var reply: Int? {
            switch self {
            case .callerSpeaking(let reply), .thinking(let reply), .speaking(let reply): reply
            default: nil
            }
        }
    }

    /// The caller's current utterance, as the detector reports it.
    struct CallerActivity: Sendable, Equatable {
        var inUtterance = false
        var speechFrames = 0
        var startedDuringSpeech = false
        var interruptedAgent = false
    }

    let configuration: CallEngineConfiguration
    private(set) var state: State = .connecting
    private var phases = PhaseMachine()
    var ledger = PlaybackLedger()
    var timers = CallTimers()
    var accounting = CallAccounting()
    var caller = CallerActivity()
    var history = ConversationHistory()
    var lead = LeadData()
    var activeTurns: Set<Int> = []
    var hangUpAfter: [Int: CallEndReason] = [:]
    private var nextTurn = 0
    var callerTurns = 0
    var consecutiveFailures = 0
    /// A speculative transcription of the utterance in progress.
    var speculation: Speculation?
    /// STT requests started in the last minute (``CallLimits/maximumTranscriptionsPerMinute``).
    var transcriptions: TranscriptionBudget

    /// A machine for a call with `configuration`.
    init(configuration: CallEngineConfiguration) {
        self.configuration = configuration
        transcriptions = TranscriptionBudget(limit: configuration.limits.maximumTranscriptionsPerMinute)
    }

    // MARK: Reading

    /// The phase.
    var phase: CallPhase { state.phase }
    /// Every phase change so far.
    var transitions: [PhaseMachine.Transition] { phases.transitions }
    /// Why the call ended, once it has.
    var endReason: CallEndReason? {
        if case .ended(let reason) = state { return reason }
        return nil
    }
    /// The turn answering the caller.
    var replyTurn: Int? { state.reply }
    /// Caller turns so far.
    var callerTurnCount: Int { callerTurns }
    /// Whether turn `id` may still produce output.
    func isActive(_ id: Int) -> Bool { activeTurns.contains(id) && endReason == nil }
    /// Whether the call is saying goodbye.
    var isClosing: Bool { if case .closing = state { true } else { false } }

    // MARK: Start and end

    /// The call starts at wall time `wall`: the greeting, or listening.
    mutating func start(wall: Duration) -> [CallAction] {
        guard state == .connecting else { return [.note(.rejected("start in \(phase)"))] }
        timers.start(wall: wall)
        var actions: [CallAction] = []
        if let greeting = configuration.greeting {
            let id = newTurn(.say(greeting, .greeting), into: &actions)
            enter(.greeting(turn: id))
        } else {
            enter(.listening)
        }
        return actions
    }

    /// The caller hung up (the carrier stopped the stream).
    mutating func hangUp() -> [CallAction] {
        var actions: [CallAction] = []
        finish(.callerHungUp, into: &actions)
        return actions
    }

    /// Ends the call at once (drain deadline, transport failure, deadlines).
    mutating func endNow(_ reason: CallEndReason) -> [CallAction] {
        var actions: [CallAction] = []
        finish(reason, into: &actions)
        return actions
    }

    /// Ends the call politely: goodbye, then hang-up (a drain, a limit).
    mutating func endPolitely(_ reason: CallEndReason) -> [CallAction] {
        var actions: [CallAction] = []
        guard endReason == nil, !isClosing else { return actions }
        sayGoodbye(reason, into: &actions)
        return actions
    }

    // MARK: Caller audio

    /// One caller frame of `duration` was classified (`speech`) at wall time `wall`, with the
    /// detector's event for it, if any, and the silence since the last speech of the utterance
    /// in progress. The per-frame path: returns no actions most of the time.
    mutating func frame(
        speech: Bool, event: VoiceActivityEvent?, silenceInUtterance: Duration? = nil, duration: Duration, wall: Duration
    ) -> [CallAction] {
        var actions: [CallAction] = []
        guard endReason == nil else { return actions }
        timers.frame(duration: duration, wall: wall)
        if caller.inUtterance, speech { caller.speechFrames += 1 }
        if let event { voiceActivity(event, into: &actions) }
        if let silenceInUtterance { checkSpeculation(silence: silenceInUtterance, into: &actions) }
        checkBargeIn(frameDuration: duration, into: &actions)
        checkAudioTimers(into: &actions)
        checkWallTimers(into: &actions)
        return actions
    }

    /// Wall time advanced without a frame (the engine's ticker).
    mutating func tick(wall: Duration) -> [CallAction] {
        var actions: [CallAction] = []
        guard endReason == nil, timers.startedAt != nil else { return actions }
        timers.advance(wall: wall)
        checkWallTimers(into: &actions)
        return actions
    }

    private mutating func voiceActivity(_ event: VoiceActivityEvent, into actions: inout [CallAction]) {
        switch event {
        case .speechStarted:
            caller = CallerActivity(inUtterance: true, speechFrames: 0, startedDuringSpeech: !ledger.isEmpty, interruptedAgent: false)
            timers.noteActivity()
            if state == .listening { enter(.callerSpeaking(reply: nil)) }
        case .utterance(let utterance):
            caller.inUtterance = false
            timers.noteActivity()
            utteranceEnded(utterance, into: &actions)
        case .utteranceDropped(_, let reason):
            caller.inUtterance = false
            accounting.sttSaved()
            actions.append(.note(.utteranceDropped("\(reason)")))
            if case .callerSpeaking(let reply) = state {
                enter(ledger.isEmpty ? (reply.map { .thinking(reply: $0) } ?? .listening) : .speaking(reply: reply))
            }
        }
    }

    private mutating func utteranceEnded(_ utterance: Utterance, into actions: inout [CallAction]) {
        guard !isClosing else { return }
        if caller.startedDuringSpeech, !caller.interruptedAgent, !ledger.isEmpty {
            // Short speech over the agent: interrupt only if it is not a backchannel.
            guard transcriptions.take(at: timers.wallTime) else {
                throttled(into: &actions)
                return
            }
            _ = newTurn(.checkInterruption(utterance), into: &actions)
            return
        }
        let covered = speculation.map { !$0.failed && $0.speechEnd == utterance.speechEnd } ?? false
        if !covered, !transcriptions.take(at: timers.wallTime) {
            // Over the STT budget: the utterance is skipped (a reply in flight goes on).
            if let speculation, !speculation.failed { waste(speculation, into: &actions) } else { speculation = nil }
            throttled(into: &actions)
            if case .callerSpeaking(let reply) = state {
                enter(ledger.isEmpty ? (reply.map { .thinking(reply: $0) } ?? .listening) : .speaking(reply: reply))
            }
            return
        }
        callerTurns += 1
        if callerTurns > configuration.limits.maximumTurns {
            sayGoodbye(.maxTurns, into: &actions)
            return
        }
        if let thinking = state.reply, !ledger.isSpeaking(thinking) {
            // The caller went on before the agent answered: answer the newer utterance.
            cancel([thinking], into: &actions)
        }
        var timings = TurnTimings()
        timings.utteranceEmitted = timers.wallTime
        timings.callerSpeechEnded = timers.wallTime - (timers.audioTime - utterance.speechEnd)
        if adoptSpeculation(for: utterance, timings: timings, into: &actions) { return }
        let id = newTurn(.transcribeAndReply(utterance), into: &actions)
        accounting.beginTimings(id, timings)
        enter(.thinking(reply: id))
    }

    /// An utterance skipped for the STT budget: counted, noted.
    private mutating func throttled(into actions: inout [CallAction]) {
        accounting.sttThrottled()
        actions.append(.note(.sttThrottled))
    }

    private mutating func checkBargeIn(frameDuration: Duration, into actions: inout [CallAction]) {
        guard configuration.bargeIn.enabled, caller.inUtterance, caller.startedDuringSpeech, !caller.interruptedAgent,
            !ledger.isEmpty, !isClosing
        else { return }
        if frameDuration * caller.speechFrames >= configuration.bargeIn.minimumSpeech {
            interruptAgent(into: &actions)
        }
    }

    // MARK: Keys

    /// The caller pressed `digit`.
    mutating func dtmf(_ digit: String) -> [CallAction] {
        var actions: [CallAction] = []
        guard endReason == nil else { return actions }
        history.append(.dtmf(digits: digit, at: timers.audioTime))
        timers.noteActivity()
        guard configuration.dtmf.forwardToModel, !isClosing else { return actions }
        if digit == "#" {
            flushDigits(force: true, into: &actions)
        } else {
            timers.collect(digit: digit)
        }
        return actions
    }

    private mutating func flushDigits(force: Bool, into actions: inout [CallAction]) {
        guard let digits = timers.takeDigits(interDigitTimeout: configuration.dtmf.interDigitTimeout, force: force), !isClosing else { return }
        history.append(.caller(CallerTurn(text: "[keys pressed: \(digits)]", speechStart: timers.lastDigitAt, speechEnd: timers.lastDigitAt)))
        if !ledger.isEmpty { interruptAgent(into: &actions) }
        if let thinking = state.reply { cancel([thinking], into: &actions) }
        let id = newTurn(.reply, into: &actions)
        accounting.beginTimings(id)
        enter(.thinking(reply: id))
    }

    // MARK: Timers

    private mutating func checkAudioTimers(into actions: inout [CallAction]) {
        flushDigits(force: false, into: &actions)
        guard state == .listening, ledger.isEmpty, !caller.inUtterance else { return }
        guard timers.idle(for: configuration.idle.timeout) else { return }
        timers.noteActivity()
        if timers.idlePrompts >= configuration.idle.maximumPrompts {
            sayGoodbye(.idle, into: &actions)
        } else {
            timers.idlePrompts += 1
            actions.append(.note(.idlePrompt(timers.idlePrompts)))
            _ = newTurn(.say(configuration.idle.prompt, .idlePrompt), into: &actions)
        }
    }

    private mutating func checkWallTimers(into actions: inout [CallAction]) {
        if case .closing(let reason, let deadline) = state, timers.wallTime >= deadline {
            finish(reason, into: &actions)
            return
        }
        if timers.mediaGap >= configuration.limits.mediaTimeout {
            finish(.mediaTimeout, into: &actions)
            return
        }
        if timers.elapsed >= configuration.limits.maximumDuration, !isClosing {
            sayGoodbye(.maxDuration, into: &actions)
        }
    }

    // MARK: Shared steps

    /// Allocates a turn and asks for its task.
    mutating func newTurn(_ work: TurnWork, into actions: inout [CallAction]) -> Int {
        nextTurn += 1
        activeTurns.insert(nextTurn)
        actions.append(.startTurn(id: nextTurn, work))
        return nextTurn
    }

    mutating func cancel(_ turns: [Int], into actions: inout [CallAction]) {
        let live = turns.filter { activeTurns.remove($0) != nil }
        if !live.isEmpty { actions.append(.cancelTurns(live)) }
    }

    /// Barge-in: clear, cancel every speaking turn, keep in the history what was heard.
    mutating func interruptAgent(into actions: inout [CallAction]) {
        guard !ledger.isEmpty else { return }
        caller.interruptedAgent = true
        actions.append(.send(.clear))
        let (heard, turns) = ledger.interrupt(at: timers.audioTime)
        cancel(turns, into: &actions)
        for turn in heard { history.append(.agent(turn)) }
        actions.append(.note(.bargeIn(heard: heard.last?.playedText ?? "")))
        // A reply still thinking (no audio yet) goes on; the caller's next utterance replaces it.
        enter(.callerSpeaking(reply: state.reply.flatMap { activeTurns.contains($0) ? $0 : nil }))
    }

    mutating func sayGoodbye(_ reason: CallEndReason, into actions: inout [CallAction]) {
        guard endReason == nil, !isClosing else { return }
        // Everything that is not already audible stops.
        cancel(activeTurns.filter { !ledger.isSpeaking($0) }.sorted(), into: &actions)
        let id = newTurn(.say(configuration.goodbye, .goodbye), into: &actions)
        hangUpAfter[id] = reason
        enter(.closing(reason: reason, deadline: closingDeadline))
    }

    var closingDeadline: Duration { timers.wallTime + configuration.limits.goodbyeGrace + .seconds(10) }

    mutating func finish(_ reason: CallEndReason, into actions: inout [CallAction]) {
        guard endReason == nil else { return }
        for turn in ledger.drainForEnd() { history.append(.agent(turn)) }
        cancel(activeTurns.sorted(), into: &actions)
        if let target = accounting.transferTarget { actions.append(.send(.transfer(target: target))) }
        if reason != .callerHungUp { actions.append(.send(.hangUp)) }
        if phase != .ending { enter(.closing(reason: reason, deadline: timers.wallTime)) }
        enter(.ended(reason))
        actions.append(.finish(reason))
    }

    /// Moves to `next`, recording the phase change (checked against
    /// ``CallPhase/allowedNext``; a refused change is recorded as an error). Once closing,
    /// only the end is accepted; once ended, nothing.
    mutating func enter(_ next: State) {
        guard next != state else { return }
        switch (state, next) {
        case (.ended, _): return
        case (.closing, .ended): break
        case (.closing, _): return
        default: break
        }
        if next.phase != state.phase {
            do {
                try phases.transition(to: next.phase, at: timers.audioTime)
            } catch {
                accounting.record(error: "\(error)")
            }
        }
        state = next
    }

    /// The reply turn `id` is gone (ended or cancelled): forget it in the state.
    mutating func dropReply(_ id: Int) {
        switch state {
        case .callerSpeaking(id): state = .callerSpeaking(reply: nil)
        case .thinking(id): state = .thinking(reply: nil)
        case .speaking(id): state = .speaking(reply: nil)
        default: break
        }
    }
}
