import SpeechServices
import Testing
import VoiceActivity

@testable import CallEngine

/// The call state machine, synchronously: exact event sequences, no tasks, no clocks.
@Suite("Call state machine: turn-taking and barge-in")
struct StateMachineTurnTests {
    @Test("without a greeting the call starts by listening; with one it greets, then listens once the greeting played")
    func start() {
        var plain = MachineDriver()
        let step1 = plain.start()
        #expect(step1.isEmpty)
        #expect(plain.machine.phase == .listening)
        #expect(plain.phases == [.listening])

        var greeted = MachineDriver(MachineDriver.configuration(greeting: "Hello."))
        let actions = greeted.start()
        #expect(MachineDriver.started(actions).map(\.work) == [.say("Hello.", .greeting)])
        #expect(greeted.machine.phase == .greeting)
        let mark = greeted.speak(1, kind: .greeting, text: "Hello.")
        #expect(mark != nil)
        #expect(greeted.machine.phase == .greeting)
        greeted.turnEnded(1)
        // Generated but not yet played: still greeting.
        #expect(greeted.machine.phase == .greeting)
        greeted.played(mark)
        #expect(greeted.machine.phase == .listening)
        #expect(greeted.phases == [.greeting, .listening])
        #expect(greeted.agentTurns.map(\.playedText) == ["Hello."])
        #expect(greeted.machine.accounting.errors.isEmpty)
    }

    @Test("a second start is rejected and changes nothing")
    func startTwice() {
        var driver = MachineDriver()
        driver.start()
        let again = driver.start()
        #expect(again == [.note(.rejected("start in listening"))])
        #expect(driver.phases == [.listening])
    }

    @Test("one turn: caller speaks, the agent thinks, speaks, and listens again once its sentence played")
    func oneTurn() throws {
        var driver = MachineDriver()
        driver.start()
        driver.frames(5)
        driver.speechStarted()
        #expect(driver.machine.phase == .callerSpeaking)
        driver.frames(40, speech: true)
        let ended = driver.utteranceEnded()
        let turn = try #require(MachineDriver.started(ended).first)
        #expect(turn.id == 1)
        if case .transcribeAndReply = turn.work {} else { Issue.record("expected a transcription turn, got \(turn.work)") }
        #expect(driver.machine.phase == .thinking)
        #expect(driver.machine.replyTurn == 1)
        let step2 = driver.transcribed(1, "I would like to book.")
        let messages = try #require(step2)
        #expect(messages.last == .user("I would like to book."))
        let mark = driver.speak(1, kind: .reply, text: "Sure.")
        #expect(driver.machine.phase == .speaking)
        driver.turnEnded(1)
        #expect(driver.machine.phase == .speaking)
        let completed = driver.played(mark)
        #expect(completed.contains(.checkpoint))
        #expect(driver.machine.phase == .listening)
        #expect(driver.phases == [.listening, .callerSpeaking, .thinking, .speaking, .listening])
        #expect(driver.machine.callerTurnCount == 1)
        #expect(driver.agentTurns.map(\.playedText) == ["Sure."])
        #expect(driver.machine.accounting.completedTimings.count == 1)
        #expect(driver.machine.accounting.errors.isEmpty)
    }

    @Test("a dropped utterance returns to listening and counts a saved STT request")
    func droppedUtterance() {
        var driver = MachineDriver()
        driver.start()
        driver.speechStarted()
        driver.frames(3, speech: true)
        let actions = driver.utteranceDropped()
        #expect(actions == [.note(.utteranceDropped("tooShort"))])
        #expect(driver.machine.phase == .listening)
        #expect(driver.machine.accounting.usage.sttRequestsSaved == 1)
        #expect(MachineDriver.started(driver.log).isEmpty)
    }

    @Test("a junk transcript makes no reply and returns to listening")
    func junkTranscript() {
        var driver = MachineDriver()
        driver.start()
        driver.callerFinishes()
        let step3 = driver.transcribed(1, "Thank you for watching.")
        #expect(step3 == nil)
        #expect(driver.machine.phase == .listening)
        driver.turnEnded(1)
        #expect(driver.machine.phase == .listening)
        #expect(driver.machine.history.callerTurns.isEmpty)
    }

    @Test("the caller goes on before the agent answers: the older turn is cancelled, the newer utterance answered")
    func newerUtterance() throws {
        var driver = MachineDriver()
        driver.start()
        driver.callerFinishes()
        // Still thinking (no audio yet); the caller speaks again.
        driver.speechStarted()
        #expect(driver.machine.phase == .thinking)
        driver.frames(20, speech: true)
        let actions = driver.utteranceEnded()
        #expect(MachineDriver.cancelled(actions) == [1])
        #expect(MachineDriver.started(actions).map(\.id) == [2])
        #expect(driver.machine.replyTurn == 2)
        #expect(!driver.machine.isActive(1))
        // The cancelled turn's late transcript is ignored.
        let step4 = driver.transcribed(1, "stale")
        #expect(step4 == nil)
        #expect(driver.machine.history.callerTurns.isEmpty)
    }

    @Test("barge-in while speaking: clear, the turn is cancelled, the history keeps the words heard of the cut sentence")
    func bargeInWhileSpeaking() throws {
        var driver = MachineDriver()
        driver.start()
        driver.callerSays("Tell me about your plans.")
        // 1 s sentence of 24 characters, queued now (the queue was idle, so it starts playing now).
        _ = driver.speak(1, kind: .reply, text: "aaaa bbbb cccc dddd eeee", duration: .seconds(1))
        _ = driver.speak(1, kind: .reply, text: "Never heard.", duration: .seconds(1))
        #expect(driver.machine.phase == .speaking)
        driver.speechStarted()
        // 29 speech frames: 580 ms, under the 600 ms threshold.
        let step5 = driver.frames(29, speech: true)
        #expect(MachineDriver.sent(step5).isEmpty)
        let actions = driver.frames(1, speech: true)
        #expect(MachineDriver.sent(actions) == [.clear])
        #expect(MachineDriver.cancelled(actions) == [1])
        #expect(actions.contains(.note(.bargeIn(heard: "aaaa bbbb cccc"))))
        #expect(driver.machine.phase == .callerSpeaking)
        let heard = try #require(driver.agentTurns.last)
        // 620 ms of the 1 s sentence played: 14 of its 24 characters, whole words only.
        #expect(heard.interrupted)
        #expect(heard.playedChunks == 0)
        #expect(heard.heardPartial == "aaaa bbbb cccc")
        #expect(heard.playedText == "aaaa bbbb cccc")
        // The model's next context has exactly that, marked as interrupted.
        #expect(driver.machine.messages.last == .assistant("aaaa bbbb cccc [interrupted by the caller]"))
        // The caller's utterance is answered normally.
        let next = driver.utteranceEnded()
        #expect(MachineDriver.started(next).map(\.id) == [2])
        #expect(driver.machine.phase == .thinking)
    }

    @Test("the heard estimate starts a chunk when the chunk before it played")
    func heardAfterPlayedChunk() throws {
        var driver = MachineDriver()
        driver.start()
        driver.callerSays("Hi")
        let first = driver.speak(1, kind: .reply, text: "First.", duration: .milliseconds(200))
        _ = driver.speak(1, kind: .reply, text: "one two three four five six seven", duration: .seconds(2))
        driver.frames(10)
        driver.played(first)
        // The caller interrupts 1 s into the second chunk: 19 quiet frames, the onset frame,
        // then 30 speech frames (600 ms) reach the barge-in threshold.
        driver.frames(19)
        driver.speechStarted()
        driver.frames(30, speech: true)
        let turn = try #require(driver.agentTurns.last)
        #expect(turn.playedChunks == 1)
        // 1 s of 2 s: 16 of the 33 characters, whole words only.
        #expect(turn.heardPartial == "one two three")
        #expect(turn.playedText == "First. one two three")
    }

    @Test("barge-in during the greeting")
    func bargeInDuringGreeting() {
        var driver = MachineDriver(MachineDriver.configuration(greeting: "Hello, this is a long greeting."))
        driver.start()
        _ = driver.speak(1, kind: .greeting, text: "Hello, this is a long greeting.", duration: .seconds(3))
        driver.speechStarted()
        let actions = driver.frames(30, speech: true)
        #expect(MachineDriver.sent(actions) == [.clear])
        #expect(driver.machine.phase == .callerSpeaking)
        #expect(driver.phases == [.greeting, .callerSpeaking])
    }

    @Test("no barge-in while only thinking, and none when barge-in is off")
    func noBargeIn() {
        var driver = MachineDriver()
        driver.start()
        driver.callerFinishes()
        driver.speechStarted()
        let step6 = driver.frames(60, speech: true)
        #expect(MachineDriver.sent(step6).isEmpty)

        var configuration = MachineDriver.configuration(greeting: "Hello there, welcome.")
        configuration.bargeIn.enabled = false
        var off = MachineDriver(configuration)
        off.start()
        _ = off.speak(1, kind: .greeting, text: "Hello there, welcome.", duration: .seconds(5))
        off.speechStarted()
        let step7 = off.frames(100, speech: true)
        #expect(MachineDriver.sent(step7).isEmpty)
        #expect(off.machine.phase == .greeting)
    }

    @Test("a short utterance over the agent is checked: a backchannel is ignored, anything else interrupts and is answered")
    func backchannelCheck() throws {
        var driver = MachineDriver(MachineDriver.configuration(greeting: "We open at nine. We close at five."))
        driver.start()
        _ = driver.speak(1, kind: .greeting, text: "We open at nine.", duration: .seconds(2))
        driver.speechStarted()
        driver.frames(10, speech: true)
        let step8 = driver.utteranceEnded()
        let check = try #require(MachineDriver.started(step8).first)
        if case .checkInterruption = check.work {} else { Issue.record("expected a check, got \(check.work)") }
        let utterance = MachineDriver.utterance(seconds: 0.3, endingAt: driver.machine.timers.audioTime)
        let ignored = driver.record(driver.machine.interruptionChecked(check.id, utterance: utterance, transcript: Transcript(text: "Mhm."), wall: driver.wall))
        #expect(ignored == [.note(.backchannel("Mhm."))])
        #expect(driver.machine.phase == .greeting)
        driver.turnEnded(check.id)

        driver.speechStarted()
        driver.frames(10, speech: true)
        let step9 = driver.utteranceEnded()
        let second = try #require(MachineDriver.started(step9).first)
        let interrupting = driver.record(
            driver.machine.interruptionChecked(second.id, utterance: utterance, transcript: Transcript(text: "Actually, how much is it?"), wall: driver.wall)
        )
        #expect(MachineDriver.sent(interrupting) == [.clear])
        let reply = try #require(MachineDriver.started(interrupting).first)
        #expect(reply.work == .reply)
        #expect(driver.machine.phase == .thinking)
        #expect(driver.machine.history.callerTurns.last?.interruptedAgent == true)
    }

    @Test("a hang-up in any phase ends the call at once: turns cancelled, no hang-up command, nothing after it")
    func hangUpEverywhere() {
        let setups: [(CallPhase, (inout MachineDriver) -> Void)] = [
            (.connecting, { _ in }),
            (.greeting, { $0.start() }),
            (.listening, { $0.start(); $0.turnEnded(1); $0.frames(30) }),
            (.callerSpeaking, { $0.start(); $0.turnEnded(1); $0.speechStarted() }),
            (.thinking, { $0.start(); $0.turnEnded(1); $0.speechStarted(); $0.frames(20, speech: true); $0.utteranceEnded() }),
            (.speaking, { $0.start(); $0.turnEnded(1); $0.speechStarted(); $0.utteranceEnded(); _ = $0.transcribed(2, "Hi"); $0.speak(2, kind: .reply, text: "Hello.") }),
            (.ending, { $0.start(); $0.record($0.machine.endPolitely(.drain)) }),
        ]
        for (phase, setup) in setups {
            var driver = MachineDriver(MachineDriver.configuration(greeting: "Hi."))
            setup(&driver)
            #expect(driver.machine.phase == phase, "setup for \(phase)")
            let actions = driver.record(driver.machine.hangUp())
            #expect(actions.last == .finish(.callerHungUp), "\(phase)")
            #expect(!MachineDriver.sent(actions).contains(.hangUp), "\(phase)")
            #expect(driver.machine.phase == .ended)
            #expect(driver.machine.endReason == .callerHungUp)
            let step10 = driver.frames(5)
            #expect(step10.isEmpty)
            let step11 = driver.record(driver.machine.hangUp())
            #expect(step11.isEmpty)
            #expect(driver.machine.accounting.errors.isEmpty, "\(phase): \(driver.machine.accounting.errors)")
            #expect(!driver.machine.isActive(1) && !driver.machine.isActive(2))
        }
    }
}

/// The per-call STT budget (``CallLimits/maximumTranscriptionsPerMinute``).
@Suite("Call state machine: STT requests per minute")
struct StateMachineTranscriptionBudgetTests {
    static func driver(limit: Int) -> MachineDriver {
        var configuration = MachineDriver.configuration()
        configuration.limits.maximumTranscriptionsPerMinute = limit
        configuration.speculation.enabled = false
        return MachineDriver(configuration)
    }

    @Test("utterances beyond the budget are skipped and counted; as requests age past a minute transcription resumes")
    func throttled() {
        var driver = Self.driver(limit: 3)
        driver.start()
        var startedAt: [Int] = []
        // 30 utterances, one every 2.44 s (0.44 s of speech, 2 s of silence): about 73 s.
        for k in 0..<30 {
            let turn = driver.callerFinishes()
            if turn != 0 {
                startedAt.append(k)
                _ = driver.transcribed(turn, "Hello there.")
                driver.turnEnded(turn)
            }
            #expect(driver.machine.phase == .listening)
            driver.frames(100)
        }
        // Three in the first minute; then one each time one of those is a minute old.
        #expect(startedAt == [0, 1, 2, 25, 26, 27])
        #expect(driver.machine.accounting.usage.sttRequestsThrottled == 24)
        #expect(driver.log.filter { $0 == .note(.sttThrottled) }.count == 24)
        #expect(driver.machine.callerTurnCount == 6)
        #expect(driver.machine.endReason == nil)
    }

    @Test("the window slides: requests free up one by one as they age past a minute")
    func slidingWindow() {
        var budget = TranscriptionBudget(limit: 2)
        let taken = [0, 30, 59, 60, 89, 90, 90].map { budget.take(at: .seconds($0)) }
        #expect(taken == [true, true, false, true, false, true, false])
    }
}
