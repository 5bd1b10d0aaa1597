import CallAudio
import Logging
import NIOCore
import Testing
import TwilioCallAdapter
import CallTesting

/// The inbound media budget, synchronously with a manual clock: real time passes, floods
/// are dropped and counted, the log is rate-limited.
@Suite("Inbound media budget")
struct InboundMediaBudgetTests {
    /// Feeds `count` frames of `bytes` bytes, one every `interval`, starting at `start`;
    /// returns how many were admitted and the time after the last.
    static func feed(
        _ budget: inout InboundMediaBudget, count: Int, bytes: Int = 160, every interval: Duration, from start: Duration = .zero
    ) -> (admitted: Int, end: Duration) {
        var now = start
        var admitted = 0
        for _ in 0..<count {
            if budget.admit(payloadByteCount: bytes, at: now) { admitted += 1 }
            now += interval
        }
        return (admitted, now)
    }

    @Test("real time (a 20 ms frame every 20 ms) for ten minutes drops nothing")
    func realTime() {
        var budget = InboundMediaBudget()
        let (admitted, _) = Self.feed(&budget, count: 30_000, every: .milliseconds(20))
        #expect(admitted == 30_000)
        #expect(budget.droppedFrames == 0)
    }

    @Test("jitter: a 1 s stall then the late frames all at once are kept (the slack)")
    func jitterWithinSlack() {
        var budget = InboundMediaBudget()
        var (admitted, now) = Self.feed(&budget, count: 100, every: .milliseconds(20))
        now += .seconds(1)
        // 50 late frames arrive back to back, then real time resumes.
        admitted += Self.feed(&budget, count: 50, every: .zero, from: now).admitted
        admitted += Self.feed(&budget, count: 100, every: .milliseconds(20), from: now + .milliseconds(20)).admitted
        #expect(admitted == 250)
        #expect(budget.droppedFrames == 0)
    }

    @Test("10x real time for 30 s: real time plus 1 s of slack is kept, the rest dropped and counted")
    func tenTimesRealTime() {
        var budget = InboundMediaBudget()
        // 15,000 frames of 20 ms in 30 s: a frame every 2 ms.
        let (admitted, _) = Self.feed(&budget, count: 15_000, every: .milliseconds(2))
        // 30 s of credit (1,500 frames) plus the full bucket (50), give or take the last frame.
        #expect((1_549...1_551).contains(admitted))
        #expect(budget.droppedFrames == 15_000 - admitted)
        let reported = budget.takeUnreportedDrops()
        let again = budget.takeUnreportedDrops()
        #expect(reported == 15_000 - admitted)
        #expect(again == 0)
    }

    @Test("big frames cost their audio: 8000-byte frames (1 s each) 20 times a second keep one a second")
    func bigFrames() {
        var budget = InboundMediaBudget()
        let (admitted, _) = Self.feed(&budget, count: 200, bytes: 8000, every: .milliseconds(50))
        // 10 s: the full bucket (one frame) plus one per second of credit.
        #expect((10...11).contains(admitted))
    }

    @Test("tiny frames cost at least 20 ms: a flood of 1-byte frames is held to 50 a second")
    func tinyFrames() {
        var budget = InboundMediaBudget()
        let (admitted, _) = Self.feed(&budget, count: 10_000, bytes: 1, every: .microseconds(100))
        // 1 s of input: the bucket (50) plus 1 s of credit (50).
        #expect((99...101).contains(admitted))
    }

    @Test("a clock that goes back gives no credit, and huge values do not trap")
    func clockBackAndExtremes() {
        var budget = InboundMediaBudget(burst: .milliseconds(40))
        let decisions = [
            budget.admit(payloadByteCount: 160, at: .seconds(10)),
            budget.admit(payloadByteCount: 160, at: .seconds(10)),
            budget.admit(payloadByteCount: 160, at: .seconds(5)),
            budget.admit(payloadByteCount: Int.max, at: .seconds(Int64.max)),
            budget.admit(payloadByteCount: -5, at: .seconds(Int64.min)),
        ]
        // The bucket holds two frames; going back 5 s gives nothing; a frame of Int.max bytes
        // costs more than any bucket (the jump to the far future refilled it, no more); a
        // negative size costs the minimum, which that refill covers.
        #expect(decisions == [true, true, false, false, true])
        #expect(budget.droppedFrames == 2)
    }

    @Test("the log: a line at the first drop, then at most one per interval carrying the count since")
    func logLines() {
        var budget = InboundMediaBudget(burst: .milliseconds(20), logInterval: .seconds(10))
        let before = budget.logLineDue(at: .zero)
        #expect(before == nil)
        var lines: [Int] = []
        var now = Duration.zero
        for _ in 0..<20_000 {  // 20 s of a frame every millisecond
            _ = budget.admit(payloadByteCount: 160, at: now)
            if let dropped = budget.logLineDue(at: now) { lines.append(dropped) }
            now += .milliseconds(1)
        }
        #expect(lines.count == 2)
        #expect(lines.first == 1)
        let last = budget.logLineDue(at: now + .seconds(10)) ?? 0
        #expect(lines.reduce(0, +) + last == budget.droppedFrames)
    }
}

@Suite("Twilio media stream adapter: floods", .timeLimit(.minutes(2)))
struct TwilioMediaFloodTests {
    @Test("media far faster than real time is dropped before the engine and counted in the call's usage")
    func floodCounted() async throws {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        var simulator = TwilioCallerSimulator()
        let writer = RecordingWireWriter()
        let handler = TestCallHandler()
        // 100 ms of slack so the figures do not depend on how fast this machine is.
        let adapter = TwilioMediaStreamAdapter(
            configuration: .init(mediaBudget: InboundMediaBudget(burst: .milliseconds(100))), logger: Logger(label: "flood-test"))
        continuation.yield(ByteBuffer(string: simulator.connectedMessage()))
        continuation.yield(ByteBuffer(string: simulator.startMessage()))
        // 12 s of caller audio sent at once.
        for _ in 0..<600 {
            continuation.yield(ByteBuffer(string: simulator.mediaMessage([UInt8](repeating: MuLaw.silenceCode, count: 160))))
        }
        continuation.yield(ByteBuffer(string: simulator.stopMessage()))
        continuation.finish()
        let outcome = await adapter.run(messages: messages, writer: writer, handler: handler)
        #expect(outcome == .stopped)
        var results = handler.finished.makeAsyncIterator()
        let result = try #require(await results.next())
        #expect(result.endReason == .callerHungUp)
        // At most 5 frames of slack plus one per 20 ms the adapter took to read them are kept.
        #expect(result.usage.mediaFramesDropped >= 300)
        #expect(result.usage.mediaFramesDropped < 600)
    }
}
