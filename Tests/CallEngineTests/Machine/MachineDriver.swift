import SpeechServices
import VoiceActivity

@testable import CallEngine

/// Drives a ``CallStateMachine`` with exact event sequences: 20 ms frames advance both the
/// audio clock and the wall clock, turns are answered by hand. No tasks, no sleeps.
struct MachineDriver {
    var machine: CallStateMachine
    var wall: Duration = .zero
    /// Every action returned so far, in order.
    var log: [CallAction] = []

    init(_ configuration: CallEngineConfiguration = MachineDriver.configuration()) {
        machine = CallStateMachine(configuration: configuration)
    }

    static func configuration(greeting: String? = nil) -> CallEngineConfiguration {
        CallEngineConfiguration(systemPrompt: "You are a test agent.", greeting: greeting)
    }

    @discardableResult
    mutating func record(_ actions: [CallAction]) -> [CallAction] {
        log += actions
        return actions
    }

    @discardableResult
    mutating func start() -> [CallAction] { record(machine.start(wall: wall)) }

    /// `count` frames of 20 ms.
    @discardableResult
    mutating func frames(_ count: Int, speech: Bool = false) -> [CallAction] {
        var actions: [CallAction] = []
        for _ in 0..<count { actions += frame(speech: speech, event: nil) }
        return actions
    }

    @discardableResult
    mutating func frame(speech: Bool, event: VoiceActivityEvent?) -> [CallAction] {
        wall += .milliseconds(20)
        return record(machine.frame(speech: speech, event: event, duration: .milliseconds(20), wall: wall))
    }

    /// The detector reports speech onset on a speech frame.
    @discardableResult
    mutating func speechStarted() -> [CallAction] {
        frame(speech: true, event: .speechStarted(onset: machine.timers.audioTime, detectedAt: machine.timers.audioTime))
    }

    /// The detector closes an utterance that started `seconds` ago (speech ending now, or at `speechEnd`).
    @discardableResult
    mutating func utteranceEnded(seconds: Double = 1, speechEnd: Duration? = nil) -> [CallAction] {
        frame(speech: false, event: .utterance(Self.utterance(seconds: seconds, endingAt: speechEnd ?? machine.timers.audioTime)))
    }

    /// `count` quiet frames inside an utterance, reporting the silence since its last speech
    /// the way the detector does (`from` frames of silence already).
    @discardableResult
    mutating func pause(_ count: Int, from start: Int = 0) -> [CallAction] {
        var actions: [CallAction] = []
        for k in 1...count {
            wall += .milliseconds(20)
            actions += record(
                machine.frame(speech: false, event: nil, silenceInUtterance: .milliseconds(20 * (start + k)), duration: .milliseconds(20), wall: wall)
            )
        }
        return actions
    }

    /// One frame of confirmed speech inside an utterance (silence since the last speech: zero).
    @discardableResult
    mutating func resume() -> [CallAction] {
        wall += .milliseconds(20)
        return record(machine.frame(speech: true, event: nil, silenceInUtterance: .zero, duration: .milliseconds(20), wall: wall))
    }

    /// The short-audio filter drops the utterance.
    @discardableResult
    mutating func utteranceDropped() -> [CallAction] {
        frame(speech: false, event: .utteranceDropped(Self.utterance(seconds: 0.1, endingAt: machine.timers.audioTime), .tooShort))
    }

    /// Wall time passes with no frame; the engine's ticker reports it.
    @discardableResult
    mutating func tick(after duration: Duration) -> [CallAction] {
        wall += duration
        return record(machine.tick(wall: wall))
    }

    /// Turn `id` plays `text` as one sentence of `duration`: audio, then its mark.
    @discardableResult
    mutating func speak(_ id: Int, kind: AgentTurn.Kind, text: String, duration: Duration = .milliseconds(500)) -> PlaybackMark? {
        guard machine.audioQueued(id, kind: kind, duration: duration, wall: wall) else { return nil }
        return machine.sentenceQueued(id, text: text).mark
    }

    @discardableResult
    mutating func played(_ mark: PlaybackMark?) -> [CallAction] {
        guard let mark else { return [] }
        return record(machine.markPlayed(mark))
    }

    @discardableResult
    mutating func turnEnded(_ id: Int, failure: (CallStatistics.Stage, ProviderError)? = nil) -> [CallAction] {
        record(machine.turnEnded(id, failure: failure))
    }

    /// The caller says `text`: onset, 400 ms of speech, the end of the utterance, and its
    /// transcript for the reply turn. Returns the reply turn.
    @discardableResult
    mutating func callerSays(_ text: String) -> Int {
        let turn = callerFinishes()
        _ = transcribed(turn, text)
        return turn
    }

    /// The caller speaks 400 ms and stops; returns the turn started for it (0 if none).
    @discardableResult
    mutating func callerFinishes() -> Int {
        speechStarted()
        frames(20, speech: true)
        return Self.started(utteranceEnded()).first?.id ?? 0
    }

    /// The caller's utterance of turn `id` was transcribed as `text`.
    @discardableResult
    mutating func transcribed(_ id: Int, _ text: String) -> [ChatMessage]? {
        let (messages, actions) = machine.transcribed(
            id, utterance: Self.utterance(seconds: 1, endingAt: machine.timers.audioTime), transcript: Transcript(text: text),
            servedBy: nil, wall: wall
        )
        record(actions)
        return messages
    }

    static func utterance(seconds: Double, endingAt end: Duration) -> Utterance {
        let samples = [Int16](repeating: 100, count: Int(seconds * 8000))
        let start = max(.zero, end - .milliseconds(Int(seconds * 1000)))
        return Utterance(
            samples: samples, sampleRate: 8000, audioStart: start, speechStart: start, speechEnd: end, endReason: .silence,
            statistics: UtteranceStatistics(
                speechFrames: Int(seconds * 50), speechDuration: .milliseconds(Int(seconds * 1000)), voicedFrames: 10,
                meanSNRDB: 20, peakLevelDBFS: -10, noiseFloorDBFS: -60)
        )
    }

    /// Turns started by `actions`, in order.
    static func started(_ actions: [CallAction]) -> [(id: Int, work: TurnWork)] {
        actions.compactMap { if case .startTurn(let id, let work) = $0 { (id, work) } else { nil } }
    }

    /// Turns cancelled by `actions`.
    static func cancelled(_ actions: [CallAction]) -> [Int] {
        actions.flatMap { action -> [Int] in
            if case .cancelTurns(let ids) = action { return ids }
            return []
        }
    }

    /// Commands sent by `actions`.
    static func sent(_ actions: [CallAction]) -> [TransportCommand] {
        actions.compactMap { if case .send(let command) = $0 { command } else { nil } }
    }

    /// The phases entered so far.
    var phases: [CallPhase] { machine.transitions.map(\.to) }

    /// The agent turns in the history.
    var agentTurns: [AgentTurn] {
        machine.history.entries.compactMap { if case .agent(let turn) = $0 { turn } else { nil } }
    }
}
