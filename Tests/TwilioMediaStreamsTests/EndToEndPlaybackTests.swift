import NIOCore
import Testing
import CallTesting
import TwilioMediaStreams

/// The whole Twilio side in virtual time: the caller simulator plays Twilio, the session
/// parses what it sends, and TwilioOutboundPlayback paces agent audio back. No sleeps.
@Suite("Simulated call in virtual time", .timeLimit(.minutes(2)))
struct EndToEndPlaybackTests {
    struct Call {
        var simulator = TwilioCallerSimulator()
        var session: TwilioStreamSession
        var playback: TwilioOutboundPlayback
        var payload = [UInt8](repeating: 0, count: 8000)
        var echoes: [MarkEchoResult] = []
        var maxQueuedAtTwilio = 0

        init() {
            session = TwilioStreamSession(logger: LogCapture().logger)
            playback = TwilioOutboundPlayback(streamSid: simulator.configuration.streamSid)
        }

        /// Delivers Twilio → server messages.
        mutating func deliver(_ messages: [String]) {
            for text in messages {
                let event = payload.withUnsafeMutableBufferPointer { session.receive(text, payloadInto: $0) }
                switch event {
                case .media: break
                case .markEchoed(let name): echoes.append(playback.markEchoed(name: name))
                case .rejected(let error, _): Issue.record("rejected \(error)")
                default: break
                }
            }
        }

        /// Runs one millisecond step at time `t`.
        mutating func step(_ t: Duration) throws {
            deliver(simulator.advance(to: t))
            var replies: [String] = []
            var sim = simulator
            _ = try playback.poll(now: t) { (buffer: ByteBuffer) throws(TwilioSimulatorError) in
                replies += try sim.receive(String(buffer: buffer), at: t)
            }
            simulator = sim
            maxQueuedAtTwilio = max(maxQueuedAtTwilio, simulator.queuedByteCount)
            deliver(replies)
        }
    }

    @Test("barge-in just before a chunk ends: clear, its mark echoes as flushed, heard audio tracked")
    func bargeIn() throws {
        var call = Call()
        call.deliver([call.simulator.connectedMessage(), call.simulator.startMessage()])
        let first = PlaybackChunkID(turn: 1, chunk: 0)
        let second = PlaybackChunkID(turn: 1, chunk: 1)
        let third = PlaybackChunkID(turn: 1, chunk: 2)
        call.playback.append([UInt8](repeating: 0x10, count: 3200), chunk: first)   // 400 ms
        call.playback.finishChunk(first)
        call.playback.append([UInt8](repeating: 0x20, count: 4800), chunk: second)  // 600 ms
        call.playback.finishChunk(second)
        call.playback.append([UInt8](repeating: 0x30, count: 3200), chunk: third)   // 400 ms
        call.playback.finishChunk(third)

        var flushed: [PlaybackChunkID] = []
        var pendingAtClear: [String] = []
        for ms in 0...1500 {
            let t = Duration.milliseconds(ms)
            if ms % 20 == 0 { call.deliver([call.simulator.mediaMessage([UInt8](repeating: 0xFF, count: 160))]) }
            try call.step(t)
            if ms == 950 {
                // The second chunk's mark went out with its last frame (~100 ms ahead); it is pending.
                pendingAtClear = call.simulator.pendingMarkNames
                var replies: [String] = []
                var sim = call.simulator
                flushed = try call.playback.interrupt(now: t) { (buffer: ByteBuffer) throws(TwilioSimulatorError) in
                    replies += try sim.receive(String(buffer: buffer), at: t)
                }
                call.simulator = sim
                call.deliver(replies)
            }
        }
        #expect(pendingAtClear == [second.markName])
        #expect(flushed == [second, third])
        #expect(call.echoes == [.played(first), .flushed(second)])
        #expect(call.simulator.echoes.map(\.flushed) == [false, true])
        #expect(call.simulator.clearsReceived == 1)
        // Never more than the lead queued at "Twilio", so clear drops at most ~100 ms.
        #expect(call.maxQueuedAtTwilio <= 800)
        #expect(call.simulator.flushedByteCount <= 800 && call.simulator.flushedByteCount > 0)
        // The first mark echoed when its audio had played: at 400 ms (+ one step).
        let firstEcho = try #require(call.simulator.echoes.first)
        #expect(firstEcho.time >= .milliseconds(400) && firstEcho.time <= .milliseconds(402))
        // The tracker's view agrees with what the simulated caller heard: the first chunk
        // played, the second was cut, the third never reached Twilio.
        #expect(call.playback.tracker.report(for: first)?.state == .played)
        #expect(call.playback.tracker.report(for: second)?.state == .flushed)
        #expect(call.playback.tracker.report(for: third) == nil || call.playback.tracker.report(for: third)?.state == .flushed)
        #expect(call.simulator.playedAudio.prefix(3200).allSatisfy { $0 == 0x10 })
        #expect(!call.simulator.playedAudio.contains(0x30))
        #expect(!call.playback.isAgentAudible)
        #expect(call.session.counters.marksEchoed == 2)
    }

    @Test("the simulator echoes a mark at once when nothing is queued, and clear echoes all pending marks at once")
    func simulatorSemantics() throws {
        var sim = TwilioCallerSimulator()
        let encoder = TwilioOutboundEncoder(streamSid: sim.configuration.streamSid)
        #expect(try sim.receive(encoder.markText(name: "idle"), at: .zero).count == 1)
        _ = try sim.receive(encoder.mediaText([UInt8](repeating: 1, count: 800)), at: .zero)
        #expect(try sim.receive(encoder.markText(name: "m1"), at: .zero).isEmpty)
        _ = try sim.receive(encoder.mediaText([UInt8](repeating: 2, count: 800)), at: .zero)
        #expect(try sim.receive(encoder.markText(name: "m2"), at: .zero).isEmpty)
        #expect(sim.nextEchoTime() == .milliseconds(100))
        #expect(sim.advance(to: .milliseconds(99)).isEmpty)
        let due = sim.advance(to: .milliseconds(100))
        #expect(due.count == 1 && due[0].contains("\"m1\""))
        let cleared = try sim.receive(encoder.clearText(), at: .milliseconds(150))
        #expect(cleared.count == 1 && cleared[0].contains("\"m2\""))
        #expect(sim.playedByteCount == 1200)
        #expect(sim.flushedByteCount == 400)
        #expect(sim.echoes.map(\.name) == ["idle", "m1", "m2"])
        // Sequence numbers continue through echoes.
        #expect(cleared[0].contains("\"sequenceNumber\":\"3\""))
        #expect(throws: TwilioSimulatorError.wrongStreamSid("MZother")) {
            try sim.receive(TwilioOutboundEncoder(streamSid: "MZother").clearText(), at: .milliseconds(151))
        }
    }

    @Test("the simulator's caller messages pass the session in order")
    func callerMessages() {
        var sim = TwilioCallerSimulator(configuration: .init(customParameters: ["bot": "sales"]))
        var session = TwilioStreamSession(logger: LogCapture().logger)
        var payload = [UInt8](repeating: 0, count: 8000)
        var events: [TwilioStreamEvent] = []
        let messages = [sim.connectedMessage(), sim.startMessage(), sim.mediaMessage(Fixtures.frame), sim.mediaMessage(Fixtures.frame), sim.dtmfMessage(digit: "#"), sim.stopMessage()]
        for m in messages { events.append(payload.withUnsafeMutableBufferPointer { session.receive(m, payloadInto: $0) }) }
        #expect(events[2] == .media(.init(sequenceNumber: 2, chunk: 1, timestamp: 0, track: .inbound, payloadByteCount: 160)))
        #expect(events[3] == .media(.init(sequenceNumber: 3, chunk: 2, timestamp: 20, track: .inbound, payloadByteCount: 160)))
        #expect(events[4] == .dtmf(digit: "#"))
        guard case .started(let start) = events[1], case .stopped = events[5] else { Issue.record("\(events)"); return }
        #expect(start.start.customParameters == ["bot": "sales"])
        #expect(session.counters.skippedMessages == 0)
    }

    @Test("next(now:) yields the same messages at the same times as poll(now:send:)")
    func pullEqualsPush() {
        func feed(_ p: inout TwilioOutboundPlayback) {
            p.append([UInt8](repeating: 7, count: 1000), chunk: PlaybackChunkID(turn: 1, chunk: 0))
            p.finishChunk(PlaybackChunkID(turn: 1, chunk: 0))
            p.finishChunk(PlaybackChunkID(turn: 1, chunk: 1))
        }
        var push = TwilioOutboundPlayback(streamSid: "MZ1")
        var pull = TwilioOutboundPlayback(streamSid: "MZ1")
        feed(&push)
        feed(&pull)
        var pushed: [(Int, String)] = []
        var pulled: [(Int, String)] = []
        var waits: [OutboundPacer.Wait] = []
        for ms in stride(from: 0, through: 200, by: 5) {
            let t = Duration.milliseconds(ms)
            waits.append(push.poll(now: t) { pushed.append((ms, String(buffer: $0))) })
            pullLoop: while true {
                switch pull.next(now: t) {
                case .send(let buffer): pulled.append((ms, String(buffer: buffer)))
                case .wait(let until): #expect(until > t); break pullLoop
                case .idle: break pullLoop
                }
            }
        }
        #expect(pushed.count == 9)  // 7 frames + 2 marks
        #expect(pushed.map(\.0) == pulled.map(\.0))
        #expect(pushed.map(\.1) == pulled.map(\.1))
        #expect(pushed.last?.1.contains("turn-1.chunk-1") == true)
        #expect(waits.last == .idle)
        #expect(push.tracker.pendingMarkCount == 2 && pull.tracker.pendingMarkCount == 2)
    }

    @Test("the simulator can record its playback on the call's timeline, idle time as silence")
    func timelineRecording() throws {
        var sim = TwilioCallerSimulator(configuration: .init(recordsIdleAsSilence: true))
        let encoder = TwilioOutboundEncoder(streamSid: sim.configuration.streamSid)
        _ = sim.advance(to: .milliseconds(50))
        _ = try sim.receive(encoder.mediaText([UInt8](repeating: 1, count: 800)), at: .milliseconds(50))
        _ = sim.advance(to: .milliseconds(300))
        _ = try sim.receive(encoder.mediaText([UInt8](repeating: 2, count: 160)), at: .microseconds(300_500))
        _ = sim.advance(to: .milliseconds(400))
        #expect(sim.playedAudio.count == 3200)
        #expect(sim.playedAudio[0..<400].allSatisfy { $0 == 0xFF })
        #expect(sim.playedAudio[400..<1200].allSatisfy { $0 == 1 })
        #expect(sim.playedAudio[1200..<2404].allSatisfy { $0 == 0xFF })
        #expect(sim.playedAudio[2404..<2564].allSatisfy { $0 == 2 })
        #expect(sim.playedByteCount == 960)
    }
}
