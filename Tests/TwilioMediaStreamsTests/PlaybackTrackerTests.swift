import Testing
import TwilioMediaStreams

@Suite("Playback tracker")
struct PlaybackTrackerTests {
    let a = PlaybackChunkID(turn: 3, chunk: 0)
    let b = PlaybackChunkID(turn: 3, chunk: 1)

    @Test("mark names map back to chunk and turn")
    func names() {
        #expect(a.markName == "turn-3.chunk-0")
        #expect(PlaybackChunkID(markName: "turn-3.chunk-0") == a)
        for bad in ["my label", "turn-3", "turn-x.chunk-1", "turn-1.chunk-", "turn--1.chunk-0", "turn-1.chunk-0.x"] {
            #expect(PlaybackChunkID(markName: bad) == nil, "\(bad)")
        }
    }

    @Test("a played chunk: awaiting its echo, then played; a second echo of it is unknown")
    func played() {
        var t = PlaybackTracker()
        t.frameSent(chunk: a, byteCount: 800)
        t.markSent(chunk: a)
        #expect(t.report(for: a)?.state == .awaitingEcho)
        #expect(t.hasPendingAudio)
        #expect(t.markEchoed(name: a.markName) == .played(a))
        #expect(t.report(for: a) == PlaybackChunkReport(id: a, state: .played, sentByteCount: 800))
        #expect(!t.hasPendingAudio)
        #expect(t.markEchoed(name: a.markName) == .unknown(name: a.markName))
        #expect(t.markEchoed(name: "my label") == .unknown(name: "my label"))
    }

    @Test("clear flushes pending chunks; their later echoes are flushed, not played")
    func cleared() {
        var t = PlaybackTracker()
        t.frameSent(chunk: a, byteCount: 800)
        t.markSent(chunk: a)
        t.frameSent(chunk: b, byteCount: 1600)
        t.markSent(chunk: b)
        #expect(t.markEchoed(name: a.markName) == .played(a))
        #expect(t.clear() == [b])
        #expect(t.report(for: b)?.state == .flushed)
        #expect(t.flushedMarksAwaitingEcho == 1)
        #expect(t.markEchoed(name: b.markName) == .flushed(b))
        #expect(t.flushedMarksAwaitingEcho == 0)
        #expect(t.report(for: b)?.state == .flushed)
    }

    @Test("audio sent before its chunk was named belongs to the chunk whose mark follows it")
    func provisional() {
        var t = PlaybackTracker()
        t.frameSent(chunk: .provisional, byteCount: 320)
        t.frameSent(chunk: .provisional, byteCount: 160)
        t.markSent(chunk: a)
        #expect(t.report(for: a) == PlaybackChunkReport(id: a, state: .awaitingEcho, sentByteCount: 480))
        #expect(t.report(for: .provisional) == nil)
        t.frameSent(chunk: .provisional, byteCount: 160)
        t.markSent(chunk: b)
        #expect(t.markEchoed(name: b.markName) == .played(b))
        #expect(t.report(for: a)?.state == .played)
        #expect(!t.hasPendingAudio)
    }

    @Test("an echo covers earlier chunks; a chunk still sending at clear has no mark to echo")
    func ordering() {
        var t = PlaybackTracker()
        t.frameSent(chunk: a, byteCount: 160)
        t.markSent(chunk: a)
        t.frameSent(chunk: b, byteCount: 160)
        t.markSent(chunk: b)
        #expect(t.markEchoed(name: b.markName) == .played(b))
        #expect(t.report(for: a)?.state == .played)
        let c = PlaybackChunkID(turn: 3, chunk: 2)
        t.frameSent(chunk: c, byteCount: 160)
        #expect(t.clear() == [c])
        #expect(t.flushedMarksAwaitingEcho == 0)
        let accepted = t.frameSent(chunk: c, byteCount: 160)
        #expect(!accepted)
    }

    @Test("old finished reports are pruned")
    func pruning() {
        var t = PlaybackTracker(maximumFinishedRecords: 4)
        for k in 0..<10 {
            let id = PlaybackChunkID(turn: k, chunk: 0)
            t.frameSent(chunk: id, byteCount: 8)
            t.markSent(chunk: id)
            _ = t.markEchoed(name: id.markName)
        }
        #expect(t.report(for: PlaybackChunkID(turn: 5, chunk: 0)) == nil)
        #expect(t.report(for: PlaybackChunkID(turn: 9, chunk: 0))?.state == .played)
    }
}

@Suite("Mark echo deadline (virtual clock)")
struct MarkEchoDeadlineTests {
    @Test("a mark is due when its audio has played; overdue grows until it is echoed, and clear makes every pending mark due at once")
    func echoOverdue() throws {
        var playback = TwilioOutboundPlayback(streamSid: "MZ" + String(repeating: "0", count: 32), pacing: .telephony)
        let chunk = PlaybackChunkID(turn: 0, chunk: 0)
        playback.append([UInt8](repeating: 0x55, count: 160 * 5), chunk: chunk)  // 100 ms
        playback.finishChunk(chunk)
        var sent = 0
        _ = playback.poll(now: .zero) { _ in sent += 1 }
        #expect(sent == 2)  // 5 frames in one media message + the mark
        #expect(playback.echoOverdue(at: .milliseconds(100)) == nil)
        #expect(playback.echoOverdue(at: .milliseconds(5_100)) == .seconds(5))
        #expect(playback.markEchoed(name: chunk.markName, now: .milliseconds(5_100)) == .played(chunk))
        #expect(playback.echoOverdue(at: .seconds(60)) == nil)

        let next = PlaybackChunkID(turn: 1, chunk: 0)
        playback.append([UInt8](repeating: 0x55, count: 160 * 50), chunk: next)  // 1 s
        playback.finishChunk(next)
        var t = Duration.seconds(10)
        while t < .seconds(12) {
            _ = playback.poll(now: t) { _ in }
            t += .milliseconds(100)
        }
        // The last frame left at about 11.0 s and plays out by about 11.0 s; the mark is not yet overdue at 11.1 s.
        #expect(playback.echoOverdue(at: .milliseconds(11_000)) == nil)
        _ = playback.interrupt(now: .milliseconds(11_050)) { _ in }
        // After clear Twilio echoes at once: overdue counts from the clear.
        #expect(playback.echoOverdue(at: .milliseconds(11_550)) == .milliseconds(500))
    }
}
