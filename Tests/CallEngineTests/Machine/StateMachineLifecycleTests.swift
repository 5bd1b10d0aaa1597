import SpeechServices
import Testing
import VoiceActivity

@testable import CallEngine

@Suite("Call state machine: timers, goodbye, keys, tools, failures")
struct StateMachineLifecycleTests {
    /// Plays turn `id`'s line to the end: audio, mark played, turn ended.
    static func playLine(_ driver: inout MachineDriver, _ id: Int, kind: AgentTurn.Kind, text: String) -> [CallAction] {
        let mark = driver.speak(id, kind: kind, text: text)
        var actions = driver.turnEnded(id)
        actions += driver.played(mark)
        return actions
    }

    @Test("idle: a prompt after 10 s of caller silence, a second one, then goodbye and hang-up with reason idle")
    func idle() throws {
        var driver = MachineDriver()
        driver.start()
        let step1 = driver.frames(499)
        #expect(MachineDriver.started(step1).isEmpty)
        let step2 = driver.frames(1)
        let first = try #require(MachineDriver.started(step2).first)
        #expect(first.work == .say("Are you still there?", .idlePrompt))
        _ = Self.playLine(&driver, first.id, kind: .idlePrompt, text: "Are you still there?")
        #expect(driver.machine.phase == .listening)
        // The next prompt counts from the end of the first one.
        let step3 = driver.frames(500)
        let second = try #require(MachineDriver.started(step3).first)
        #expect(second.work == .say("Are you still there?", .idlePrompt))
        _ = Self.playLine(&driver, second.id, kind: .idlePrompt, text: "Are you still there?")
        let step4 = driver.frames(500)
        let goodbye = try #require(MachineDriver.started(step4).first)
        #expect(goodbye.work == .say("Thank you for calling. Goodbye!", .goodbye))
        #expect(driver.machine.phase == .ending)
        // Speech during the goodbye neither interrupts nor starts a turn.
        driver.speechStarted()
        let step5 = driver.frames(40, speech: true)
        #expect(MachineDriver.started(step5).isEmpty)
        let end = Self.playLine(&driver, goodbye.id, kind: .goodbye, text: "Thank you for calling. Goodbye!")
        #expect(MachineDriver.sent(end) == [.hangUp])
        #expect(end.last == .finish(.idle))
        #expect(driver.phases == [.listening, .speaking, .listening, .speaking, .listening, .ending, .ended])
        #expect(driver.agentTurns.map(\.kind) == [.idlePrompt, .idlePrompt, .goodbye])
        #expect(driver.machine.accounting.errors.isEmpty)
    }

    @Test("caller speech resets the idle clock")
    func idleResets() {
        var driver = MachineDriver()
        driver.start()
        driver.frames(400)
        driver.speechStarted()
        driver.frames(10, speech: true)
        driver.utteranceDropped()
        let step6 = driver.frames(450)
        #expect(MachineDriver.started(step6).isEmpty)
        let step7 = driver.frames(100)
        #expect(MachineDriver.started(step7).count == 1)
    }

    @Test("a goodbye that never plays ends the call at its wall-clock deadline")
    func goodbyeDeadline() {
        var configuration = MachineDriver.configuration()
        configuration.limits.mediaTimeout = .seconds(30)  // the goodbye deadline comes first
        var driver = MachineDriver(configuration)
        driver.start()
        driver.record(driver.machine.endPolitely(.drain))
        #expect(driver.machine.phase == .ending)
        // The caller's audio stops too: only wall time passes. Deadline: 3 s grace + 10 s.
        let step8 = driver.tick(after: .seconds(9))
        #expect(step8.isEmpty)
        let end = driver.tick(after: .seconds(4))
        #expect(end.last == .finish(.drain))
        #expect(MachineDriver.sent(end) == [.hangUp])
        #expect(MachineDriver.cancelled(end) == [1])
    }

    @Test("a stream that stops sending media ends with media_timeout after 8 s of wall time")
    func mediaTimeout() {
        var driver = MachineDriver()
        driver.start()
        driver.frames(10)
        let step9 = driver.tick(after: .seconds(7))
        #expect(step9.isEmpty)
        driver.frames(1)
        let step10 = driver.tick(after: .seconds(7))
        #expect(step10.isEmpty)
        let end = driver.tick(after: .seconds(1))
        #expect(end.last == .finish(.mediaTimeout))
        #expect(driver.machine.endReason == .mediaTimeout)
    }

    @Test("the maximum duration runs on the wall clock, also while the caller streams")
    func maximumDuration() throws {
        var configuration = MachineDriver.configuration()
        configuration.limits.maximumDuration = .seconds(60)
        var driver = MachineDriver(configuration)
        driver.start()
        for _ in 0..<8 {
            driver.frames(1)
            let step11 = driver.tick(after: .seconds(7))
            #expect(step11.isEmpty)
        }
        driver.frames(1)
        let actions = driver.tick(after: .seconds(4))
        let goodbye = try #require(MachineDriver.started(actions).first)
        #expect(goodbye.work == .say("Thank you for calling. Goodbye!", .goodbye))
        let end = Self.playLine(&driver, goodbye.id, kind: .goodbye, text: "Bye.")
        #expect(end.last == .finish(.maxDuration))
    }

    @Test("the turn limit says goodbye instead of answering")
    func maximumTurns() throws {
        var configuration = MachineDriver.configuration()
        configuration.limits.maximumTurns = 1
        var driver = MachineDriver(configuration)
        driver.start()
        driver.speechStarted()
        driver.utteranceEnded()
        _ = driver.transcribed(1, "One")
        _ = Self.playLine(&driver, 1, kind: .reply, text: "Yes.")
        driver.speechStarted()
        let step12 = driver.utteranceEnded()
        let goodbye = try #require(MachineDriver.started(step12).first)
        #expect(goodbye.work == .say("Thank you for calling. Goodbye!", .goodbye))
        #expect(Self.playLine(&driver, goodbye.id, kind: .goodbye, text: "Bye.").last == .finish(.maxTurns))
    }

    @Test("keys: collected until # or the inter-digit timeout, then answered; they interrupt the agent")
    func keys() throws {
        var driver = MachineDriver()
        driver.start()
        driver.frames(2)
        driver.record(driver.machine.dtmf("1"))
        driver.record(driver.machine.dtmf("2"))
        let step13 = driver.record(driver.machine.dtmf("#"))
        let reply = try #require(MachineDriver.started(step13).first)
        #expect(reply.work == .reply)
        #expect(driver.machine.phase == .thinking)
        #expect(driver.machine.messages.last == .user("[keys pressed: 12]"))
        _ = driver.speak(reply.id, kind: .reply, text: "You pressed one two.", duration: .seconds(2))
        driver.record(driver.machine.dtmf("5"))
        let step14 = driver.frames(99)
        #expect(MachineDriver.started(step14).isEmpty)
        let timedOut = driver.frames(1)
        #expect(MachineDriver.sent(timedOut) == [.clear])
        #expect(MachineDriver.started(timedOut).map(\.work) == [.reply])
        #expect(driver.machine.history.callerTurns.map(\.text) == ["[keys pressed: 12]", "[keys pressed: 5]"])
    }

    @Test("update_lead stores valid fields and answers errors; end_call says the farewell, then hangs up")
    func tools() throws {
        var configuration = MachineDriver.configuration()
        configuration.leadSchema = [LeadField(name: "email", type: .email)]
        var driver = MachineDriver(configuration)
        driver.start()
        driver.speechStarted()
        driver.utteranceEnded()
        _ = driver.transcribed(1, "I'm ada@example.com")
        let bad = driver.machine.builtinTool(1, call: ToolCall(id: "c1", name: "update_lead", argumentsJSON: #"{"email":"nope"}"#), tool: .updateLead)
        #expect(bad.goOn)
        #expect(bad.result.contains("not an e-mail address"))
        let good = driver.machine.builtinTool(1, call: ToolCall(id: "c2", name: "update_lead", argumentsJSON: #"{"email":"Ada@Example.com"}"#), tool: .updateLead)
        #expect(good.result == #"{"ok":true}"#)
        #expect(driver.machine.lead.values == ["email": "ada@example.com"])
        let end = driver.machine.builtinTool(1, call: ToolCall(id: "c3", name: "end_call", argumentsJSON: #"{"farewell":"Bye Ada!"}"#), tool: .endCall)
        #expect(!end.goOn)
        let step15 = driver.record(end.actions)
        let farewell = try #require(MachineDriver.started(step15).first)
        #expect(farewell.work == .say("Bye Ada!", .goodbye))
        #expect(driver.machine.phase == .ending)
        driver.turnEnded(1)
        let finished = Self.playLine(&driver, farewell.id, kind: .goodbye, text: "Bye Ada!")
        #expect(finished.last == .finish(.agentEnded))
        #expect(driver.machine.history.entries.filter { if case .tool = $0 { true } else { false } }.count == 3)
    }

    @Test("transfer_call: the current speech finishes, then transfer and hang-up; the result names the target")
    func transfer() throws {
        var driver = MachineDriver()
        driver.start()
        driver.speechStarted()
        driver.utteranceEnded()
        _ = driver.transcribed(1, "A human please")
        let missing = driver.machine.builtinTool(1, call: ToolCall(id: "c0", name: "transfer_call", argumentsJSON: "{}"), tool: .transferCall)
        #expect(missing.goOn && missing.result.contains("target is required"))
        let mark = driver.speak(1, kind: .reply, text: "Transferring you now.")
        let transfer = driver.machine.builtinTool(1, call: ToolCall(id: "c1", name: "transfer_call", argumentsJSON: #"{"target":"+14155550100"}"#), tool: .transferCall)
        #expect(!transfer.goOn)
        #expect(MachineDriver.started(transfer.actions).isEmpty)
        driver.turnEnded(1)
        #expect(driver.machine.endReason == nil)
        let end = driver.played(mark)
        #expect(MachineDriver.sent(end) == [.transfer(target: "+14155550100"), .hangUp])
        #expect(end.last == .finish(.transferred))
        #expect(driver.machine.accounting.transferTarget == "+14155550100")
    }

    @Test("a provider failure: the apology plays and the call stays in thinking until it does; failures in a row end the call")
    func failures() throws {
        var configuration = MachineDriver.configuration()
        configuration.maximumConsecutiveFailures = 2
        var driver = MachineDriver(configuration)
        driver.start()
        driver.speechStarted()
        driver.utteranceEnded()
        let failure = (CallStatistics.Stage.stt, ProviderError(.server, provider: "stt", message: "500"))
        let first = driver.turnEnded(1, failure: failure)
        let apology = try #require(MachineDriver.started(first).first)
        #expect(apology.work == .say(configuration.apology, .apology))
        #expect(driver.machine.phase == .thinking)
        _ = Self.playLine(&driver, apology.id, kind: .apology, text: configuration.apology)
        #expect(driver.machine.phase == .listening)
        // A reply that reaches the caller resets the count.
        driver.speechStarted()
        driver.utteranceEnded()
        let answered = MachineDriver.started(driver.log).last?.id ?? 0
        _ = driver.transcribed(answered, "Hello?")
        _ = Self.playLine(&driver, answered, kind: .reply, text: "Hi.")
        #expect(driver.machine.consecutiveFailures == 0)
        // Two in a row: goodbye.
        for attempt in 0..<2 {
            driver.speechStarted()
            let step16 = driver.utteranceEnded()
            let turn = try #require(MachineDriver.started(step16).first)
            let step17 = driver.turnEnded(turn.id, failure: failure)
            let next = try #require(MachineDriver.started(step17).first)
            if attempt == 0 {
                _ = Self.playLine(&driver, next.id, kind: .apology, text: configuration.apology)
            } else {
                #expect(next.work == .say(configuration.goodbye, .goodbye))
                #expect(Self.playLine(&driver, next.id, kind: .goodbye, text: "Bye.").last == .finish(.providerFailure))
            }
        }
        #expect(driver.machine.accounting.errors.count == 3)
    }

    @Test("a goodbye whose TTS fails hangs up at once")
    func failedGoodbye() {
        var driver = MachineDriver()
        driver.start()
        driver.record(driver.machine.endPolitely(.drain))
        let end = driver.turnEnded(1, failure: (.tts, ProviderError(.server, provider: "tts", message: "down")))
        #expect(end.last == .finish(.drain))
    }

    @Test("3,000 random events: every recorded transition is legal, ended is terminal, nothing plays after the end")
    func randomEvents() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        func pick(_ values: [Int]) -> Int? { values.isEmpty ? nil : values[next(values.count)] }
        for run in 0..<20 {
            var driver = MachineDriver(MachineDriver.configuration(greeting: run.isMultiple(of: 2) ? "Hello." : nil))
            driver.start()
            var marks: [PlaybackMark] = []
            for _ in 0..<150 {
                let turns = Set(MachineDriver.started(driver.log).map(\.id)).filter { driver.machine.isActive($0) }.sorted()
                switch next(12) {
                case 0: driver.frames(1 + next(30))
                case 1: driver.speechStarted()
                case 2: driver.frames(1 + next(40), speech: true)
                case 3: driver.utteranceEnded(seconds: 0.5)
                case 4: driver.utteranceDropped()
                case 5: driver.tick(after: .seconds(1 + next(4)))
                case 6: if let turn = pick(turns) { _ = driver.transcribed(turn, "Hello number \(next(100))") }
                case 7: if let turn = pick(turns), let mark = driver.speak(turn, kind: .reply, text: "Line \(next(9)).") { marks.append(mark) }
                case 8: if !marks.isEmpty { driver.played(marks.remove(at: next(marks.count))) }
                case 9: if let turn = pick(turns) { driver.turnEnded(turn, failure: next(4) == 0 ? (.llm, ProviderError(.server, provider: "llm", message: "x")) : nil) }
                case 10: driver.record(driver.machine.dtmf(["1", "#", "5"][next(3)]))
                default: if next(20) == 0 { driver.record(driver.machine.endPolitely(.drain)) }
                }
                #expect(driver.machine.accounting.errors.allSatisfy { !$0.contains("illegalTransition") }, "run \(run): \(driver.machine.accounting.errors)")
            }
            let transitions = driver.machine.transitions
            for (previous, current) in zip(transitions, transitions.dropFirst()) {
                #expect(previous.to == current.from)
                #expect(previous.to.allowedNext.contains(current.to))
            }
            driver.record(driver.machine.hangUp())
            #expect(driver.machine.phase == .ended)
            #expect(driver.machine.ledger.isEmpty)
            let step18 = driver.frames(3)
            #expect(step18.isEmpty)
            let step19 = driver.speak(1, kind: .reply, text: "late")
            #expect(step19 == nil)
        }
    }
}
