import CallAudio
import Foundation
import Logging
import SpeechServices
import VoiceActivity

/// The engine of one phone call: transport-agnostic, one instance per call.
///
/// Feed it the carrier's events with ``handle(_:)`` (20 ms G.711 frames, mark
/// acknowledgements, DTMF, hang-up) while ``run()`` drives the conversation; `run()`
/// returns the ``CallResult`` when the call ends, however it ends. Commands (audio, marks,
/// clear, hang-up, transfer) go to the ``CallTransport`` in order.
///
/// Structure: `run()` owns a task group; every agent turn (STT -> LLM -> TTS, or a fixed
/// line) is a child task in it, so cancelling the call's task cancels every provider
/// request under it. The actor is the single owner of the call's state; per-frame work
/// (mu-law decode, VAD) runs in ``handle(_:)`` without allocating.
public actor CallConversation {
    /// Who the call is.
    public nonisolated let identity: CallIdentity
    /// Behaviour.
    public nonisolated let configuration: CallEngineConfiguration

    nonisolated let providers: CallProviders
    nonisolated let tools: [any CallTool]
    nonisolated let transport: any CallTransport
    nonisolated let statistics: CallStatistics?
    nonisolated let logger: Logger
    nonisolated let clock: CallClock
    nonisolated let textToSpeech: any TextToSpeech

    // MARK: State owned by the actor

    private var phase = PhaseMachine()
    private var history = ConversationHistory()
    private var lead = LeadData()
    private var usage = CallUsage()
    private var errors: [String] = []
    private var servedBy: [String: String] = [:]
    private var completedTimings: [TurnTimings] = []
    private var timings: [Int: TurnTimings] = [:]
    private var endReason: CallEndReason?
    private var transferTarget: String?
    private let startedAt = Date()

    private let detector: VoiceActivityDetector
    private var recorder: CallRecorder?
    private let scratch = FrameScratch(capacity: AudioFrame.capacity)
    private var audioTime: Duration = .zero

    // Turns.
    private var nextTurnID = 0
    private var signals: [Int: TurnSignal] = [:]
    private var replyTurn: Int?
    private let requests: AsyncStream<TurnRequest>
    private let requestContinuation: AsyncStream<TurnRequest>.Continuation

    // Agent speech and playback marks.
    private struct Speech {
        var turn: AgentTurn
        var marks: [String] = []
        var generationDone = false
        var hangUpAfter: CallEndReason?
    }
    private var speeches: [Int: Speech] = [:]
    private var speechOrder: [Int] = []
    private var markOwners: [String: (turn: Int, chunk: Int)] = [:]
    private var flushedMarks: Set<String> = []

    // Caller speech, barge-in, idle, DTMF.
    private var callerInUtterance = false
    private var speechFramesInUtterance = 0
    private var utteranceStartedDuringSpeech = false
    private var interruptedByThisUtterance = false
    private var lastActivity: Duration = .zero
    private var idlePrompts = 0
    private var consecutiveFailures = 0
    private var callerTurns = 0
    private var dtmfDigits = ""
    private var lastDigitAt: Duration = .zero
    private var closingDeadline: Duration?
    private var closing = false
    private var closingReason: CallEndReason?
    private var pendingHangUp: [Int: CallEndReason] = [:]

    /// Creates the engine for one call.
    /// - Parameters:
    ///   - identity: ids from the carrier.
    ///   - configuration: the bot's behaviour.
    ///   - providers: STT, LLM, TTS (already wrapped in retries/breakers/fallback) and the phrase cache.
    ///   - transport: where commands go.
    ///   - tools: application tools beside the built-in ones.
    ///   - statistics: worker-wide statistics to update, if any.
    ///   - clock: wall time for stage timings.
    ///   - logger: base logger; every line gets `call_sid`.
    public init(
        identity: CallIdentity,
        configuration: CallEngineConfiguration,
        providers: CallProviders,
        transport: any CallTransport,
        tools: [any CallTool] = [],
        statistics: CallStatistics? = nil,
        clock: CallClock = .continuous(),
        logger: Logger = Logger(label: "call-engine")
    ) {
        self.identity = identity
        self.configuration = configuration
        self.providers = providers
        self.transport = transport
        self.tools = tools
        self.statistics = statistics
        self.clock = clock
        var logger = logger
        logger[metadataKey: "call_sid"] = "\(identity.callID)"
        logger[metadataKey: "bot_id"] = "\(identity.botID)"
        self.logger = logger
        if let cache = providers.ttsCache {
            textToSpeech = CachingTextToSpeech(providers.textToSpeech, cache: cache)
        } else {
            textToSpeech = providers.textToSpeech
        }
        var vad = configuration.voiceActivity
        vad.classifier.sampleRate = .hz8000
        vad.classifier.frameDuration = .ms20
        detector = VoiceActivityDetector(configuration: vad)
        (requests, requestContinuation) = AsyncStream.makeStream(of: TurnRequest.self)
        if let directory = configuration.recordingDirectory {
            let path = directory + "/" + identity.storageName + ".wav"
            do {
                recorder = try CallRecorder(path: path)
            } catch {
                logger.error("cannot open call recording", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }

    // MARK: Running the call

    /// Runs the call until it ends and returns its result. Never throws: a cancelled call
    /// ends with ``CallEndReason/cancelled`` and still produces a result.
    public func run() async -> CallResult {
        statistics?.callStarted()
        logger.info("call started", metadata: ["stream_sid": "\(identity.streamID)"])
        // The transport may have ended the call before this task ran (a `stop` right after
        // `start`): then there is nothing to start.
        if endReason == nil { start() }
        let requests = self.requests
        await withDiscardingTaskGroup { group in
            for await request in requests {
                group.addTask { await self.execute(request) }
            }
            // The stream ends when the call ends, or when this task is cancelled.
            group.cancelAll()
        }
        if endReason == nil {
            finish(.cancelled)
        }
        let result = makeResult()
        statistics?.callEnded(result)
        logger.info(
            "call ended",
            metadata: ["reason": "\(result.endReason.rawValue)", "turns": "\(callerTurns)", "duration_s": "\(Int(result.duration))"]
        )
        return result
    }

    /// Handles one transport event. Audio frames are the hot path: 50 per second.
    public func handle(_ event: TransportEvent) {
        guard endReason == nil else { return }
        switch event {
        case .audio(let frame):
            receiveAudio(frame)
        case .markAcknowledged(let name):
            acknowledge(mark: name)
        case .dtmf(let digit):
            receiveDigit(digit)
        case .hangUp:
            finish(.callerHungUp)
        }
    }

    /// Ends the call from outside (for example a worker draining for a deploy): says
    /// goodbye, then hangs up within the goodbye grace period.
    public func endPolitely(reason: CallEndReason) {
        guard endReason == nil, !closing else { return }
        sayGoodbye(reason: reason)
    }

    /// Ends the call at once, without a goodbye.
    public func endNow(reason: CallEndReason) {
        finish(reason)
    }

    /// The current phase.
    public var currentPhase: CallPhase { phase.phase }

    /// A snapshot of the conversation so far.
    public var conversation: ConversationHistory { history }

    // MARK: Inbound audio

    private func receiveAudio(_ frame: AudioFrame) {
        audioTime += .milliseconds(20)
        let event: VoiceActivityEvent?
        do {
            let decoded = scratch.samples
            event = try frame.withUnsafeBytes { (codes: UnsafeBufferPointer<UInt8>) throws(AudioError) -> VoiceActivityEvent? in
                let pcm = UnsafeMutableBufferPointer(rebasing: decoded[0..<codes.count])
                try MuLaw.decode(codes, into: pcm)
                if codes.count < AudioFrame.capacity {
                    // A short frame: pad with silence so the detector sees whole 20 ms frames.
                    for i in codes.count..<AudioFrame.capacity { decoded[i] = 0 }
                }
                return try detector.process(UnsafeBufferPointer(decoded))
            }
        } catch {
            record(error: "bad audio frame: \(error)")
            return
        }
        if let recorder {
            do {
                try frame.withUnsafeBytes { (codes: UnsafeBufferPointer<UInt8>) throws(AudioError) in try recorder.caller(codes) }
            } catch {
                record(error: "recording stopped: \(error)")
                self.recorder = nil
            }
        }
        if callerInUtterance, detector.lastAnalysis.isSpeech {
            speechFramesInUtterance += 1
        }
        if let event { handleVoiceActivity(event) }
        checkBargeIn()
        checkTimers()
    }

    private func handleVoiceActivity(_ event: VoiceActivityEvent) {
        switch event {
        case .speechStarted:
            callerInUtterance = true
            speechFramesInUtterance = 0
            interruptedByThisUtterance = false
            utteranceStartedDuringSpeech = !speeches.isEmpty
            lastActivity = audioTime
            if phase.phase == .listening { transition(to: .callerSpeaking) }
        case .utterance(let utterance):
            callerInUtterance = false
            lastActivity = audioTime
            handleUtterance(utterance)
        case .utteranceDropped(_, let reason):
            callerInUtterance = false
            usage.sttRequestsSaved += 1
            statistics?.sttCallSaved()
            logger.debug("utterance dropped by the short-audio filter", metadata: ["reason": "\(reason)"])
            if phase.phase == .callerSpeaking { transition(to: speeches.isEmpty ? .listening : .speaking) }
        }
    }

    private func handleUtterance(_ utterance: Utterance) {
        guard !closing else { return }
        if utteranceStartedDuringSpeech && !interruptedByThisUtterance && !speeches.isEmpty {
            // Short speech over the agent: interrupt only if it is not a backchannel.
            enqueue(.checkInterruption(utterance))
            return
        }
        callerTurns += 1
        if callerTurns > configuration.limits.maximumTurns {
            sayGoodbye(reason: .maxTurns)
            return
        }
        if let thinking = replyTurn, speeches[thinking] == nil {
            // The caller went on before the agent answered: answer the newer utterance.
            signals[thinking]?.fire()
        }
        transition(to: .thinking)
        let id = enqueue(.transcribeAndReply(utterance))
        replyTurn = id
        var turnTimings = TurnTimings()
        let now = clock.now()
        turnTimings.utteranceEmitted = now
        turnTimings.callerSpeechEnded = now - (audioTime - utterance.speechEnd)
        timings[id] = turnTimings
    }

    private func checkBargeIn() {
        guard configuration.bargeIn.enabled, callerInUtterance, utteranceStartedDuringSpeech, !interruptedByThisUtterance,
            !speeches.isEmpty, !closing
        else { return }
        if Duration.milliseconds(20) * speechFramesInUtterance >= configuration.bargeIn.minimumSpeech {
            interruptAgent()
        }
    }

    private func checkTimers() {
        if audioTime >= configuration.limits.maximumDuration, !closing {
            sayGoodbye(reason: .maxDuration)
        }
        if let deadline = closingDeadline, audioTime >= deadline {
            finish(closingReason ?? .agentEnded)
            return
        }
        if !dtmfDigits.isEmpty, audioTime - lastDigitAt >= configuration.dtmf.interDigitTimeout {
            flushDigits()
        }
        guard phase.phase == .listening, speeches.isEmpty, replyTurn == nil, !callerInUtterance, !closing else { return }
        if audioTime - lastActivity >= configuration.idle.timeout {
            lastActivity = audioTime
            if idlePrompts >= configuration.idle.maximumPrompts {
                sayGoodbye(reason: .idle)
            } else {
                idlePrompts += 1
                logger.info("caller idle; prompting", metadata: ["prompt": "\(idlePrompts)"])
                enqueue(.say(configuration.idle.prompt, .idlePrompt))
            }
        }
    }

    // MARK: Barge-in

    private func interruptAgent() {
        guard !speeches.isEmpty else { return }
        interruptedByThisUtterance = true
        statistics?.bargeIn()
        transport.send(.clear)
        recorder?.clear()
        for id in speechOrder {
            signals[id]?.fire()
            guard var speech = speeches[id] else { continue }
            for mark in speech.marks where markOwners[mark] != nil {
                flushedMarks.insert(mark)
                markOwners[mark] = nil
            }
            speech.turn.interrupted = speech.turn.playedChunks < speech.turn.generated.count || !speech.generationDone
            history.append(.agent(speech.turn))
            speeches[id] = nil
        }
        speechOrder.removeAll()
        logger.info("barge-in: agent interrupted", metadata: ["heard": "\(history.lastAgentTurn?.playedText ?? "")"])
        transition(to: .callerSpeaking)
    }

    // MARK: Marks

    private func acknowledge(mark name: String) {
        if flushedMarks.remove(name) != nil { return }
        guard let owner = markOwners.removeValue(forKey: name), var speech = speeches[owner.turn] else {
            logger.debug("unknown mark acknowledged", metadata: ["mark": "\(name)"])
            return
        }
        speech.turn.playedChunks = max(speech.turn.playedChunks, owner.chunk + 1)
        speeches[owner.turn] = speech
        completeSpeechIfPlayed(owner.turn)
    }

    private func completeSpeechIfPlayed(_ id: Int) {
        guard let speech = speeches[id], speech.generationDone,
            !speech.marks.contains(where: { markOwners[$0] != nil })
        else { return }
        speeches[id] = nil
        speechOrder.removeAll { $0 == id }
        history.append(.agent(speech.turn))
        lastActivity = audioTime
        if let reason = speech.hangUpAfter {
            finish(reason)
            return
        }
        if speeches.isEmpty, [.speaking, .greeting].contains(phase.phase) {
            transition(to: replyTurn == nil || phase.phase == .greeting ? .listening : .thinking)
        }
    }

    // MARK: DTMF

    private func receiveDigit(_ digit: String) {
        history.append(.dtmf(digits: digit, at: audioTime))
        lastActivity = audioTime
        guard configuration.dtmf.forwardToModel, !closing else { return }
        if digit == "#" {
            flushDigits()
        } else {
            dtmfDigits += digit
            lastDigitAt = audioTime
        }
    }

    private func flushDigits() {
        let digits = dtmfDigits
        dtmfDigits = ""
        guard !digits.isEmpty, !closing else { return }
        history.append(.caller(CallerTurn(text: "[keys pressed: \(digits)]", speechStart: lastDigitAt, speechEnd: lastDigitAt)))
        if !speeches.isEmpty { interruptAgent() }
        transition(to: .thinking)
        replyTurn = enqueue(.reply)
        timings[replyTurn ?? 0] = TurnTimings()
    }

    // MARK: Turn lifecycle

    private func start() {
        if let greeting = configuration.greeting {
            transition(to: .greeting)
            enqueue(.say(greeting, .greeting))
        } else {
            transition(to: .listening)
        }
    }

    @discardableResult
    private func enqueue(_ work: TurnRequest.Work) -> Int {
        nextTurnID += 1
        let request = TurnRequest(id: nextTurnID, work: work, signal: TurnSignal())
        signals[request.id] = request.signal
        requestContinuation.yield(request)
        return request.id
    }

    private func sayGoodbye(reason: CallEndReason) {
        guard !closing else { return }
        closing = true
        closingReason = reason
        for (id, signal) in signals where speeches[id] == nil { signal.fire() }
        replyTurn = nil
        let id = enqueue(.say(configuration.goodbye, .goodbye))
        pendingHangUp[id] = reason
        closingDeadline = audioTime + configuration.limits.goodbyeGrace + .seconds(10)
    }

    private func finish(_ reason: CallEndReason) {
        guard endReason == nil else { return }
        endReason = reason
        for id in speechOrder {
            guard var speech = speeches[id] else { continue }
            speech.turn.interrupted = speech.turn.playedChunks < speech.turn.generated.count
            history.append(.agent(speech.turn))
        }
        speeches.removeAll()
        speechOrder.removeAll()
        for signal in signals.values { signal.fire() }
        if phase.phase != .ending { transition(to: .ending) }
        if let target = transferTarget {
            transport.send(.transfer(target: target))
        }
        if reason != .callerHungUp {
            transport.send(.hangUp)
        }
        transition(to: .ended)
        requestContinuation.finish()
        do {
            try recorder?.close()
        } catch {
            record(error: "recording: \(error)")
        }
        recorder = nil
    }

    // MARK: Called by turn tasks

    func isActive(_ id: Int) -> Bool {
        signals[id] != nil && endReason == nil
    }

    func transcribed(_ id: Int, utterance: Utterance, transcript: Transcript, descriptor: ProviderDescriptor?) -> [ChatMessage]? {
        guard isActive(id) else { return nil }
        usage.sttRequests += 1
        usage.sttAudioSeconds += Double(utterance.samples.count) / Double(max(utterance.sampleRate, 1))
        if let descriptor { servedBy["stt"] = descriptor.description }
        timings[id, default: TurnTimings()].sttDone = clock.now()
        let normalised = CallEngineConfiguration.normalise(transcript.text)
        guard !configuration.junkTranscripts.contains(normalised) else {
            logger.info("empty or junk transcript; no reply", metadata: ["transcript": "\(transcript.text)"])
            replyTurn = nil
            if phase.phase == .thinking { transition(to: speeches.isEmpty ? .listening : .speaking) }
            return nil
        }
        idlePrompts = 0
        history.append(.caller(CallerTurn(text: transcript.text, speechStart: utterance.speechStart, speechEnd: utterance.speechEnd)))
        return history.chatMessages(systemPrompt: configuration.systemPrompt, lead: lead)
    }

    func interruptionChecked(_ id: Int, utterance: Utterance, transcript: Transcript) -> Int? {
        guard isActive(id) else { return nil }
        usage.sttRequests += 1
        usage.sttAudioSeconds += Double(utterance.samples.count) / Double(max(utterance.sampleRate, 1))
        let words = CallEngineConfiguration.normalise(transcript.text).split(separator: " ").count
        if configuration.bargeIn.isBackchannel(transcript.text) || words == 0 || words < configuration.bargeIn.minimumWords {
            logger.info("backchannel while the agent speaks; not interrupting", metadata: ["transcript": "\(transcript.text)"])
            return nil
        }
        if !speeches.isEmpty { interruptAgent() }
        callerTurns += 1
        idlePrompts = 0
        history.append(.caller(CallerTurn(text: transcript.text, speechStart: utterance.speechStart, speechEnd: utterance.speechEnd, interruptedAgent: true)))
        transition(to: .thinking)
        let reply = enqueue(.reply)
        replyTurn = reply
        var turnTimings = TurnTimings()
        turnTimings.callerSpeechEnded = clock.now()
        timings[reply] = turnTimings
        return reply
    }

    func currentMessages() -> [ChatMessage] {
        history.chatMessages(systemPrompt: configuration.systemPrompt, lead: lead)
    }

    func noteTiming(_ id: Int, _ keyPath: WritableKeyPath<TurnTimings, Duration?>) {
        guard timings[id] != nil, timings[id]?[keyPath: keyPath] == nil else { return }
        timings[id]?[keyPath: keyPath] = clock.now()
    }

    func noteUsage(_ id: Int, tokens: TokenUsage?, ttsCharacters: Int, cacheHit: Bool, served: (String, ProviderDescriptor)?) {
        if let tokens {
            usage.llmInputTokens += tokens.promptTokens
            usage.llmOutputTokens += tokens.completionTokens
        }
        usage.ttsCharacters += ttsCharacters
        if cacheHit {
            usage.ttsCacheHits += 1
            statistics?.ttsCacheHit()
        }
        if let (stage, descriptor) = served { servedBy[stage] = descriptor.description }
    }

    /// A turn queues audio. Returns false when the turn was cancelled (stop producing).
    func play(_ id: Int, kind: AgentTurn.Kind, frames: [UInt8]) -> Bool {
        guard isActive(id) else { return false }
        if speeches[id] == nil {
            speeches[id] = Speech(turn: AgentTurn(kind: kind, startedAt: audioTime), hangUpAfter: pendingHangUp[id])
            speechOrder.append(id)
            if kind == .reply { consecutiveFailures = 0 }
            if ![.speaking, .greeting].contains(phase.phase) && !callerInUtterance { transition(to: .speaking) }
        }
        noteTiming(id, \.firstAudioOut)
        recorder?.agent(frames)
        transport.send(.audio(frames))
        return true
    }

    /// A turn finished one sentence chunk: queue a mark after it.
    func chunkQueued(_ id: Int, text: String) -> Bool {
        guard isActive(id), var speech = speeches[id] else { return false }
        let chunk = speech.turn.generated.count
        let name = "\(id).\(chunk)"
        speech.turn.generated.append(text)
        speech.marks.append(name)
        speeches[id] = speech
        markOwners[name] = (id, chunk)
        transport.send(.mark(name: name))
        return true
    }

    /// Runs the model's tool calls. Returns messages for the next model round, or nil when
    /// the conversation should not continue (the call is ending or the turn was cancelled).
    func runTools(_ id: Int, calls: [ToolCall], assistantText: String) async -> [ChatMessage]? {
        guard isActive(id) else { return nil }
        var continueConversation = false
        for call in calls {
            let result: String
            switch BuiltinTool(rawValue: call.name) {
            case .endCall:
                let farewell = BuiltinTool.arguments(call.argumentsJSON)?["farewell"]
                result = #"{"ok":true}"#
                history.append(.tool(ToolExchange(call: call, result: result, at: audioTime)))
                logger.info("agent ends the call (end_call)")
                endAfterFarewell(id, farewell: farewell, reason: .agentEnded)
                return nil
            case .transferCall:
                let arguments = BuiltinTool.arguments(call.argumentsJSON) ?? [:]
                guard let target = arguments["target"], !target.isEmpty else {
                    result = #"{"ok":false,"error":"target is required"}"#
                    continueConversation = true
                    history.append(.tool(ToolExchange(call: call, result: result, at: audioTime)))
                    continue
                }
                result = #"{"ok":true}"#
                history.append(.tool(ToolExchange(call: call, result: result, at: audioTime)))
                transferTarget = target
                logger.info("agent transfers the call", metadata: ["target": "\(target)"])
                endAfterFarewell(id, farewell: nil, reason: .transferred)
                return nil
            case .updateLead:
                do throws(CallEngineError) {
                    guard let updates = BuiltinTool.arguments(call.argumentsJSON) else {
                        throw .invalidLeadField(name: "*", reason: "arguments are not a JSON object")
                    }
                    try lead.apply(updates, schema: configuration.leadSchema)
                    result = #"{"ok":true}"#
                } catch {
                    result = #"{"ok":false,"error":"# + BuiltinTool.jsonString("\(error)") + "}"
                    logger.info("update_lead rejected", metadata: ["error": "\(error)"])
                }
                continueConversation = true
            case nil:
                if let tool = tools.first(where: { $0.definition.name == call.name }) {
                    result = await tool.invoke(argumentsJSON: call.argumentsJSON, call: identity)
                    guard isActive(id) else { return nil }
                } else {
                    result = #"{"ok":false,"error":"unknown tool"}"#
                }
                continueConversation = true
            }
            history.append(.tool(ToolExchange(call: call, result: result, at: audioTime)))
        }
        return continueConversation ? currentMessages() : nil
    }

    private func endAfterFarewell(_ id: Int, farewell: String?, reason: CallEndReason) {
        closing = true
        closingReason = reason
        if let farewell, !farewell.isEmpty {
            let goodbye = enqueue(.say(farewell, .goodbye))
            pendingHangUp[goodbye] = reason
        } else if reason == .agentEnded {
            let goodbye = enqueue(.say(configuration.goodbye, .goodbye))
            pendingHangUp[goodbye] = reason
        } else {
            pendingHangUp[id] = reason
            if var speech = speeches[id] { speech.hangUpAfter = reason; speeches[id] = speech }
        }
        closingDeadline = audioTime + configuration.limits.goodbyeGrace + .seconds(10)
    }

    /// The definitions offered to the model.
    nonisolated var toolDefinitions: [ToolDefinition] {
        BuiltinTool.allCases.compactMap { BuiltinTool.definition($0, leadSchema: configuration.leadSchema) } + tools.map(\.definition)
    }

    /// A turn ended. `failure` names the stage that failed after resilience, if any.
    func turnEnded(_ id: Int, failure: (CallStatistics.Stage, ProviderError)?) {
        signals[id] = nil
        if replyTurn == id { replyTurn = nil }
        if let turnTimings = timings.removeValue(forKey: id), turnTimings.firstAudioOut != nil {
            completedTimings.append(turnTimings)
            if completedTimings.count > 1000 { completedTimings.removeFirst() }
            statistics?.turnCompleted(turnTimings)
        }
        if var speech = speeches[id] {
            speech.generationDone = true
            speeches[id] = speech
        }
        guard endReason == nil else { return }
        // An apology is on its way: stay in `thinking` until it plays (its first audio moves
        // the call to `speaking`), so the call never looks idle in between.
        var apologyQueued = false
        if let (stage, error) = failure {
            record(error: "\(stage.rawValue) failed: \(error)")
            statistics?.providerError(stage)
            consecutiveFailures += 1
            if consecutiveFailures >= configuration.maximumConsecutiveFailures {
                sayGoodbye(reason: .providerFailure)
            } else if !closing {
                enqueue(.say(configuration.apology, .apology))
                apologyQueued = true
            }
        }
        if let reason = pendingHangUp.removeValue(forKey: id), speeches[id] == nil {
            // Nothing was played (TTS failed or an empty line): hang up now.
            finish(reason)
            return
        }
        completeSpeechIfPlayed(id)
        if !apologyQueued, speeches.isEmpty, replyTurn == nil, [.thinking, .greeting].contains(phase.phase) {
            transition(to: callerInUtterance ? .callerSpeaking : .listening)
        }
    }

    // MARK: Helpers

    private func transition(to next: CallPhase) {
        let from = phase.phase
        guard from != next else { return }
        do {
            try phase.transition(to: next, at: audioTime)
            logger.debug("phase", metadata: ["from": "\(from.rawValue)", "to": "\(next.rawValue)"])
        } catch {
            record(error: "\(error)")
            logger.error("illegal phase transition", metadata: ["from": "\(from.rawValue)", "to": "\(next.rawValue)"])
        }
    }

    private func record(error message: String) {
        if errors.count < 200 { errors.append(message) }
        logger.warning("call error", metadata: ["error": "\(message)"])
    }

    private func makeResult() -> CallResult {
        CallResult(
            identity: identity,
            startedAt: startedAt,
            endedAt: Date(),
            endReason: endReason ?? .cancelled,
            transcript: history.entries,
            lead: lead.values,
            turns: completedTimings,
            usage: usage,
            estimatedCost: usage.cost(configuration.prices),
            errors: errors,
            providers: servedBy,
            phases: phase.transitions,
            transferTarget: transferTarget
        )
    }
}
