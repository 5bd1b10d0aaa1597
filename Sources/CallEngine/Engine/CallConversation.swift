import CallAudio
import Foundation
import Logging
import SpeechServices
import VoiceActivity

/// The engine of one phone call: transport- and codec-agnostic, one instance per call.
///
/// Feed it the carrier's events with ``handle(_:)`` (20 ms PCM16 frames in
/// ``inputFormat``, playback reports, DTMF, hang-up) while ``run()`` drives the
/// conversation; `run()` returns the ``CallResult`` when the call ends, however it ends.
/// Commands (PCM16 audio, marks, clear, hang-up, transfer) go to the ``CallTransport`` in
/// order.
///
/// Structure: every decision is made by a value-type state machine; this actor executes
/// what it decides and owns the tasks. `run()` owns a task group; every agent turn (STT ->
/// LLM -> TTS, or a fixed line) is a child task in it, so cancelling the call's task cancels
/// every provider request under it. Per-frame work (VAD) runs in ``handle(_:)`` without
/// allocating.
public actor CallConversation {
    /// Who the call is.
    public nonisolated let identity: CallIdentity
    /// Behaviour.
    public nonisolated let configuration: CallEngineConfiguration
    /// The caller audio the engine takes: PCM16 mono, 20 ms frames, at
    /// ``CallEngineConfiguration/sampleRate``. The carrier adapter converts to it.
    public nonisolated let inputFormat: AudioFormat

    nonisolated let providers: CallProviders
    nonisolated let tools: [any CallTool]
    nonisolated let transport: any CallTransport
    nonisolated let statistics: CallStatistics?
    nonisolated let logger: Logger
    nonisolated let clock: CallClock
    nonisolated let textToSpeech: any TextToSpeech
    nonisolated let checkpoints: (@Sendable (CallResult) async -> Void)?

    private var machine: CallStateMachine
    private let startedAt = Date()
    private let detector: VoiceActivityDetector
    private var recorder: CallRecorder?
    /// The recording of a finished call, whose file ``run()`` waits for before the result.
    private var closingRecording: RecordingSpool?
    private var signals: [Int: TurnSignal] = [:]
    private var finished = false
    private var started = false
    private let requests: AsyncStream<TurnRequest>
    private let requestContinuation: AsyncStream<TurnRequest>.Continuation
    /// Partial results for ``checkpoints``, written in order by one child task of `run()`;
    /// only the newest waiting one matters.
    private let partials: AsyncStream<CallResult>
    private let partialContinuation: AsyncStream<CallResult>.Continuation

    /// Creates the engine for one call.
    /// - Parameters:
    ///   - identity: ids from the carrier.
    ///   - configuration: the bot's behaviour.
    ///   - providers: STT, LLM, TTS (already wrapped in retries/breakers/fallback) and the phrase cache.
    ///   - transport: where commands go.
    ///   - tools: application tools beside the built-in ones.
    ///   - statistics: worker-wide statistics to update, if any.
    ///   - clock: wall time since the call started (stage timings, deadlines).
    ///   - checkpoints: called with a partial result at each turn boundary (durable outboxes
    ///     store it, so a worker that dies mid-call leaves a result behind).
    ///   - logger: base logger; every line gets `call_sid`.
    public init(
        identity: CallIdentity,
        configuration: CallEngineConfiguration,
        providers: CallProviders,
        transport: any CallTransport,
        tools: [any CallTool] = [],
        statistics: CallStatistics? = nil,
        clock: CallClock = .continuous(),
        checkpoints: (@Sendable (CallResult) async -> Void)? = nil,
        logger: Logger = Logger(label: "call-engine")
    ) {
        self.identity = identity
        self.configuration = configuration
        self.providers = providers
        self.transport = transport
        self.tools = tools
        self.statistics = statistics
        self.clock = clock
        self.checkpoints = checkpoints
        var logger = logger
        logger[metadataKey: "call_sid"] = "\(identity.callID)"
        logger[metadataKey: "bot_id"] = "\(identity.botID)"
        self.logger = logger
        if let cache = providers.ttsCache {
            textToSpeech = CachingTextToSpeech(providers.textToSpeech, cache: cache)
        } else {
            textToSpeech = providers.textToSpeech
        }
        inputFormat = AudioFormat(encoding: .pcm16, sampleRate: configuration.sampleRate)
        var vad = configuration.voiceActivity
        vad.classifier.sampleRate = configuration.sampleRate == 16000 ? .hz16000 : .hz8000
        vad.classifier.frameDuration = .ms20
        detector = VoiceActivityDetector(configuration: vad)
        machine = CallStateMachine(configuration: configuration)
        (requests, requestContinuation) = AsyncStream.makeStream(of: TurnRequest.self)
        (partials, partialContinuation) = AsyncStream.makeStream(of: CallResult.self, bufferingPolicy: .bufferingNewest(1))
        if let directory = configuration.recordingDirectory {
            recorder = CallRecorder(path: directory + "/" + identity.storageName + ".wav", sampleRate: configuration.sampleRate, logger: logger)
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
        startIfNeeded()
        let requests = self.requests
        await withDiscardingTaskGroup { group in
            group.addTask { await self.tickWallClock() }
            if let checkpoints {
                let partials = self.partials
                group.addTask {
                    for await partial in partials { await checkpoints(partial) }
                }
            }
            if let warmup = providers.warmup, !finished {
                let context = ProviderCallContext(callSID: identity.callID, logger: logger)
                group.addTask { await warmup.preconnect(context: context) }
            }
            for await request in requests {
                group.addTask { await self.execute(request) }
            }
            // The stream ends when the call ends, or when this task is cancelled.
            group.cancelAll()
        }
        if !finished { execute(machine.endNow(.cancelled)) }
        await finishRecording()
        let result = currentResult(endReason: machine.endReason ?? .cancelled)
        statistics?.callEnded(result)
        logger.info(
            "call ended",
            metadata: ["reason": "\(result.endReason.rawValue)", "turns": "\(machine.callerTurnCount)", "duration_s": "\(Int(result.duration))"]
        )
        return result
    }

    /// Handles one transport event. Audio frames are the hot path: 50 per second.
    public func handle(_ event: TransportEvent) {
        guard !finished else { return }
        // Events may arrive before `run()` starts: the call starts with the first of them
        // (a hang-up needs no start).
        if case .hangUp = event {} else { startIfNeeded() }
        switch event {
        case .audio(let frame):
            receive(frame)
        case .markPlayed(let mark):
            execute(machine.markPlayed(mark))
        case .markFlushed:
            // Nothing to do: the speech that mark closed was settled, with what the caller
            // heard, when the engine sent the clear.
            break
        case .dtmf(let digit):
            execute(machine.dtmf(digit))
        case .hangUp:
            execute(machine.hangUp())
        }
    }

    /// Ends the call from outside (for example a worker draining for a deploy): says
    /// goodbye, then hangs up within the goodbye grace period.
    public func endPolitely(reason: CallEndReason) {
        startIfNeeded()
        execute(machine.endPolitely(reason))
    }

    /// Ends the call at once, without a goodbye.
    public func endNow(reason: CallEndReason) {
        execute(machine.endNow(reason))
    }

    /// The transport dropped `count` caller media frames (they came faster than real time):
    /// counted in the result's ``CallUsage/mediaFramesDropped``.
    public func mediaFramesDropped(_ count: Int) {
        guard !finished else { return }
        machine.accounting.mediaFramesDropped(count)
    }

    /// The current phase.
    public var currentPhase: CallPhase { machine.phase }

    /// A snapshot of the conversation so far.
    public var conversation: ConversationHistory { machine.history }

    private func startIfNeeded() {
        guard !started, !finished else { return }
        started = true
        execute(machine.start(wall: clock.now()))
    }

    // MARK: Inbound audio

    private func receive(_ frame: AudioFrame) {
        guard frame.sampleRate == inputFormat.sampleRate else {
            execute([.note(.rejected("bad audio frame: \(frame.sampleRate) Hz; the call runs at \(inputFormat.sampleRate) Hz"))])
            return
        }
        if let recorder {
            frame.withUnsafeSamples { (samples: UnsafeBufferPointer<Int16>) in recorder.caller(samples) }
        }
        let event: VoiceActivityEvent?
        do {
            event = try frame.withUnsafeSamples { (samples: UnsafeBufferPointer<Int16>) throws(AudioError) -> VoiceActivityEvent? in
                try detector.process(samples)
            }
        } catch {
            report(.rejected("bad audio frame: \(error)"))
            return
        }
        let actions = machine.frame(
            speech: detector.lastAnalysis.isSpeech, event: event, silenceInUtterance: detector.silenceInUtterance,
            duration: frame.duration, wall: clock.now()
        )
        if !actions.isEmpty { execute(actions) }
    }

    /// Feeds wall time to the machine once a second (deadlines that hold without caller audio).
    private func tickWallClock() async {
        while !Task.isCancelled, !finished {
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
            execute(machine.tick(wall: clock.now()))
        }
    }

    // MARK: Executing decisions

    /// Executes the machine's actions in order.
    func execute(_ actions: [CallAction]) {
        for action in actions {
            switch action {
            case .startTurn(let id, let work):
                let request = TurnRequest(id: id, work: work, signal: TurnSignal())
                signals[id] = request.signal
                requestContinuation.yield(request)
            case .cancelTurns(let ids):
                for id in ids { signals[id]?.fire() }
            case .send(let command):
                if command == .clear { recorder?.clear() }
                transport.send(command)
            case .speculate:
                if let utterance = detector.pendingUtterance() { execute(machine.speculate(utterance)) }
            case .checkpoint:
                checkpoint()
            case .note(let note):
                report(note)
            case .finish:
                finished = true
                partialContinuation.finish()
                for signal in signals.values { signal.fire() }
                requestContinuation.finish()
                closingRecording = recorder?.stop()
                recorder = nil
            }
        }
    }

    /// Waits until the recording's file is finished; its failures go into the result.
    private func finishRecording() async {
        guard let closing = closingRecording else { return }
        closingRecording = nil
        let outcome = await closing.finish()
        if let error = outcome.error { report(.rejected("recording: \(error)")) }
        if outcome.droppedSamples > 0 {
            report(.rejected("recording: \(outcome.droppedSamples / 2) samples dropped (storage too slow or failed)"))
        }
    }

    private func checkpoint() {
        guard checkpoints != nil, !finished else { return }
        partialContinuation.yield(currentResult(endReason: .workerLost))
    }

    private func report(_ note: CallNote) {
        switch note {
        case .bargeIn(let heard):
            statistics?.bargeIn()
            logger.info("barge-in: agent interrupted", metadata: ["heard": "\(heard)"])
        case .utteranceDropped(let reason):
            statistics?.sttCallSaved()
            logger.debug("utterance dropped by the short-audio filter", metadata: ["reason": "\(reason)"])
        case .providerFailed(let stage, let message):
            statistics?.providerError(stage)
            logger.warning("call error", metadata: ["error": "\(message)"])
        case .ttsCacheHit:
            statistics?.ttsCacheHit()
        case .turnCompleted(let timings):
            statistics?.turnCompleted(timings)
        case .idlePrompt(let number):
            logger.info("caller idle; prompting", metadata: ["prompt": "\(number)"])
        case .sttThrottled:
            logger.warning("STT budget for the minute used; utterance skipped", metadata: [
                "limit_per_minute": "\(configuration.limits.maximumTranscriptionsPerMinute)",
                "skipped_total": "\(machine.accounting.usage.sttRequestsThrottled)",
            ])
        case .backchannel(let text):
            logger.info("backchannel while the agent speaks; not interrupting", metadata: ["transcript": "\(text)"])
        case .junkTranscript(let text):
            logger.info("empty or junk transcript; no reply", metadata: ["transcript": "\(text)"])
        case .agentEnds(let reason, let target):
            logger.info("agent ends the call", metadata: ["reason": "\(reason.rawValue)", "target": "\(target ?? "")"])
        case .rejected(let message):
            machine.accounting.record(error: message)
            logger.warning("call error", metadata: ["error": "\(message)"])
        }
    }

    private func currentResult(endReason: CallEndReason) -> CallResult {
        machine.accounting.result(
            identity: identity, startedAt: startedAt, endedAt: Date(), endReason: endReason,
            history: machine.history, lead: machine.lead, phases: machine.transitions, prices: configuration.prices
        )
    }

    // MARK: Called by turn tasks

    func isActive(_ id: Int) -> Bool { machine.isActive(id) }

    func transcribed(_ id: Int, utterance: Utterance, transcript: Transcript, descriptor: ProviderDescriptor?) -> [ChatMessage]? {
        let (messages, actions) = machine.transcribed(id, utterance: utterance, transcript: transcript, servedBy: descriptor, wall: clock.now())
        execute(actions)
        return messages
    }

    func speculated(_ id: Int, transcript: Transcript, descriptor: ProviderDescriptor?) -> [ChatMessage]? {
        let (messages, actions) = machine.speculated(id, transcript: transcript, servedBy: descriptor, wall: clock.now())
        execute(actions)
        return messages
    }

    func interruptionChecked(_ id: Int, utterance: Utterance, transcript: Transcript) {
        execute(machine.interruptionChecked(id, utterance: utterance, transcript: transcript, wall: clock.now()))
    }

    func currentMessages() -> [ChatMessage] { machine.messages }

    func noteTiming(_ id: Int, _ keyPath: WritableKeyPath<TurnTimings, Duration?>) {
        machine.note(id, keyPath, wall: clock.now())
    }

    func noteUsage(tokens: TokenUsage?, ttsCharacters: Int, cacheHit: Bool, served: (String, ProviderDescriptor)?) {
        execute(machine.usage(tokens: tokens, ttsCharacters: ttsCharacters, cacheHit: cacheHit, served: served))
    }

    /// A turn queues audio. Returns false when the turn was cancelled (stop producing).
    func play(_ id: Int, kind: AgentTurn.Kind, audio: PCMAudio) -> Bool {
        guard machine.audioQueued(id, kind: kind, duration: audio.duration, wall: clock.now()) else { return false }
        recorder?.agent(audio)
        transport.send(.audio(audio))
        return true
    }

    /// A turn finished one sentence: queue its mark.
    func sentenceQueued(_ id: Int, text: String) -> Bool {
        let (mark, active) = machine.sentenceQueued(id, text: text)
        if let mark { transport.send(.mark(mark)) }
        return active
    }

    /// Runs the model's tool calls. Returns messages for the next model round, or nil when
    /// the conversation should not continue (the call is ending or the turn was cancelled).
    func runTools(_ id: Int, calls: [ToolCall]) async -> [ChatMessage]? {
        guard machine.isActive(id) else { return nil }
        for call in calls {
            if let builtin = BuiltinTool(rawValue: call.name) {
                let (_, goOn, actions) = machine.builtinTool(id, call: call, tool: builtin)
                execute(actions)
                guard goOn else { return nil }
            } else {
                let result: String
                if let tool = tools.first(where: { $0.definition.name == call.name }) {
                    result = await tool.invoke(argumentsJSON: call.argumentsJSON, call: identity)
                } else {
                    result = #"{"ok":false,"error":"unknown tool"}"#
                }
                guard machine.toolReturned(id, call: call, result: result) else { return nil }
            }
        }
        return machine.messages
    }

    /// The definitions offered to the model.
    nonisolated var toolDefinitions: [ToolDefinition] {
        BuiltinTool.allCases.compactMap { BuiltinTool.definition($0, leadSchema: configuration.leadSchema) } + tools.map(\.definition)
    }

    /// A turn ended. `failure` names the stage that failed after resilience, if any.
    func turnEnded(_ id: Int, failure: (CallStatistics.Stage, ProviderError)?) {
        signals[id] = nil
        execute(machine.turnEnded(id, failure: failure))
    }
}
