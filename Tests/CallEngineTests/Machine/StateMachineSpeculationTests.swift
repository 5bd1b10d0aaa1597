import SpeechServices
import Testing
import VoiceActivity

@testable import CallEngine

/// Speculative transcription, event by event.
@Suite("Call state machine: speculative transcription")
struct StateMachineSpeculationTests {
    /// The caller speaks, then pauses 200 ms: the machine asks for the utterance so far.
    static func speakAndPause(_ driver: inout MachineDriver) -> (turn: Int, speechEnd: Duration) {
        driver.start()
        driver.speechStarted()
        driver.frames(40, speech: true)
        let speechEnd = driver.machine.timers.audioTime
        #expect(driver.pause(9).isEmpty)
        let asked = driver.pause(1, from: 9)
        #expect(asked == [.speculate])
        let started = driver.record(driver.machine.speculate(MachineDriver.utterance(seconds: 0.8, endingAt: speechEnd)))
        let turn = MachineDriver.started(started).first
        if case .speculate = turn?.work {} else { Issue.record("expected a speculative turn, got \(String(describing: turn))") }
        // One request per pause.
        #expect(driver.pause(10, from: 10).isEmpty)
        return (turn?.id ?? 0, speechEnd)
    }

    @Test("transcript back before the end of the turn: the reply starts the moment the utterance ends, STT hidden")
    func parked() throws {
        var driver = MachineDriver()
        let (turn, speechEnd) = Self.speakAndPause(&driver)
        let early = driver.machine.speculated(turn, transcript: Transcript(text: "Book me for Tuesday."), servedBy: nil, wall: driver.wall)
        #expect(early.messages == nil)
        driver.turnEnded(turn)
        #expect(driver.machine.phase == .callerSpeaking)
        let ended = driver.utteranceEnded(seconds: 0.8, speechEnd: speechEnd)
        let reply = try #require(MachineDriver.started(ended).first)
        #expect(reply.work == .reply)
        #expect(driver.machine.phase == .thinking)
        #expect(driver.machine.history.callerTurns.map(\.text) == ["Book me for Tuesday."])
        let usage = driver.machine.accounting.usage
        #expect(usage.sttRequests == 1 && usage.sttSpeculativeRequests == 1 && usage.sttSpeculativeWasted == 0)
    }

    @Test("request still in flight when the utterance ends: that turn becomes the reply")
    func adopted() throws {
        var driver = MachineDriver()
        let (turn, speechEnd) = Self.speakAndPause(&driver)
        let ended = driver.utteranceEnded(seconds: 0.8, speechEnd: speechEnd)
        #expect(MachineDriver.started(ended).isEmpty)
        #expect(driver.machine.replyTurn == turn)
        #expect(driver.machine.phase == .thinking)
        let late = driver.machine.speculated(turn, transcript: Transcript(text: "Tuesday then."), servedBy: nil, wall: driver.wall)
        let messages = try #require(late.messages)
        #expect(messages.last == .user("Tuesday then."))
        _ = driver.speak(turn, kind: .reply, text: "Done.")
        #expect(driver.machine.phase == .speaking)
    }

    @Test("the caller goes on speaking: the speculation is cancelled and counted as wasted; the full utterance is transcribed")
    func wasted() throws {
        var driver = MachineDriver()
        let (turn, _) = Self.speakAndPause(&driver)
        let resumed = driver.resume()
        #expect(MachineDriver.cancelled(resumed) == [turn])
        driver.frames(20, speech: true)
        let ended = driver.utteranceEnded(seconds: 1.5)
        let full = try #require(MachineDriver.started(ended).first)
        if case .transcribeAndReply = full.work {} else { Issue.record("expected a full transcription, got \(full.work)") }
        let usage = driver.machine.accounting.usage
        #expect(usage.sttSpeculativeRequests == 1 && usage.sttSpeculativeWasted == 1)
        #expect(usage.sttSpeculativeWastedSeconds == 0.8)
        // A late transcript of the cancelled request changes nothing.
        #expect(driver.machine.speculated(turn, transcript: Transcript(text: "stale"), servedBy: nil, wall: driver.wall).messages == nil)
        #expect(driver.machine.history.callerTurns.isEmpty)
    }

    @Test("a parked transcript of speech the caller then extended is dropped at the end of the turn")
    func parkedButLonger() throws {
        var driver = MachineDriver()
        let (turn, _) = Self.speakAndPause(&driver)
        _ = driver.machine.speculated(turn, transcript: Transcript(text: "Book me"), servedBy: nil, wall: driver.wall)
        driver.turnEnded(turn)
        // The utterance ends later than the speculated speech (an unconfirmed run did not reset the pause).
        let ended = driver.utteranceEnded(seconds: 1.2)
        #expect(MachineDriver.started(ended).first.map { if case .transcribeAndReply = $0.work { true } else { false } } == true)
        #expect(driver.machine.accounting.usage.sttSpeculativeWasted == 1)
    }

    @Test("a failed speculation is not an error and is not retried during the same pause")
    func failed() throws {
        var driver = MachineDriver()
        let (turn, speechEnd) = Self.speakAndPause(&driver)
        let failure = driver.turnEnded(turn, failure: (.stt, ProviderError(.server, provider: "stt", message: "503")))
        #expect(MachineDriver.started(failure).isEmpty)
        #expect(driver.machine.accounting.errors.isEmpty)
        #expect(driver.pause(10, from: 20).isEmpty)
        let ended = driver.utteranceEnded(seconds: 0.8, speechEnd: speechEnd)
        #expect(MachineDriver.started(ended).count == 1)
    }

    @Test("no speculation over the agent's speech or when switched off")
    func notWhenOverlapping() {
        var configuration = MachineDriver.configuration()
        configuration.speculation.enabled = false
        var off = MachineDriver(configuration)
        off.start()
        off.speechStarted()
        off.frames(20, speech: true)
        #expect(off.pause(30).isEmpty)

        var driver = MachineDriver(MachineDriver.configuration(greeting: "Hello there."))
        driver.start()
        _ = driver.speak(1, kind: .greeting, text: "Hello there.", duration: .seconds(3))
        driver.speechStarted()
        driver.frames(5, speech: true)
        #expect(driver.pause(30).isEmpty)
    }
}
