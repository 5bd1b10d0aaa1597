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

    @Test("a played chunk: heard part grows with the media clock, then the echo makes it whole")
    func played() {
        var t = PlaybackTracker()
        t.observeInboundMedia(timestamp: 1000)
        t.frameSent(chunk: a, byteCount: 800)   // 100 ms, starts at 1000
        t.markSent(chunk: a)
        #expect(t.report(for: a)?.state == .awaitingEcho)
        t.observeInboundMedia(timestamp: 1050)
        #expect(t.report(for: a)?.playedByteCount == 400)
        t.observeInboundMedia(timestamp: 1040)  // older: ignored
        #expect(t.report(for: a)?.playedByteCount == 400)
        #expect(t.hasPendingAudio)
        #expect(t.markEchoed(name: a.markName) == .played(a))
        #expect(t.report(for: a) == PlaybackChunkReport(id: a, state: .played, sentByteCount: 800, playedByteCount: 800))
        #expect(!t.hasPendingAudio)
        #expect(t.markEchoed(name: a.markName) == .unknown(name: a.markName))
        #expect(t.markEchoed(name: "my label") == .unknown(name: "my label"))
    }

    @Test("clear flushes pending chunks; their later echoes are flushed, not played")
    func cleared() {
        var t = PlaybackTracker()
        t.observeInboundMedia(timestamp: 1000)
        t.frameSent(chunk: a, byteCount: 800)   // plays 1000..1100
        t.markSent(chunk: a)
        t.frameSent(chunk: b, byteCount: 1600)  // queued behind a: plays 1100..1300
        t.markSent(chunk: b)
        #expect(t.report(for: b)?.playedByteCount == 0)
        t.observeInboundMedia(timestamp: 1100)
        #expect(t.markEchoed(name: a.markName) == .played(a))
        t.observeInboundMedia(timestamp: 1160)
        #expect(t.clear() == [b])
        t.observeInboundMedia(timestamp: 1400)  // frozen at the clear
        let report = t.report(for: b)
        #expect(report?.state == .flushed)
        #expect(report?.playedByteCount == 480)  // 60 ms
        #expect(report?.playedDuration == .milliseconds(60))
        #expect(t.flushedMarksAwaitingEcho == 1)
        #expect(t.markEchoed(name: b.markName) == .flushed(b))
        #expect(t.flushedMarksAwaitingEcho == 0)
        #expect(t.report(for: b)?.state == .flushed)
        #expect(t.playedDuration(ofTurn: 3) == .milliseconds(160))
        // After a clear, new audio starts at the current media time.
        let c = PlaybackChunkID(turn: 4, chunk: 0)
        t.frameSent(chunk: c, byteCount: 160)
        t.observeInboundMedia(timestamp: 1410)
        #expect(t.report(for: c)?.playedByteCount == 80)
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

    @Test("hostile media timestamps do not trap")
    func hugeTimestamps() {
        var t = PlaybackTracker()
        t.observeInboundMedia(timestamp: UInt64.max)
        t.frameSent(chunk: a, byteCount: 800)
        t.frameSent(chunk: a, byteCount: 800)
        t.markSent(chunk: a)
        #expect(t.report(for: a)?.playedByteCount == 0)
        var u = PlaybackTracker()
        u.frameSent(chunk: a, byteCount: 800)
        u.observeInboundMedia(timestamp: 9_999_999_999_999_999_999)
        #expect(u.report(for: a)?.playedByteCount == 800)
        #expect(u.clear() == [a])
        #expect(u.report(for: a)?.playedByteCount == 800)
    }
}
