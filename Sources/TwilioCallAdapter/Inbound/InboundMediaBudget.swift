/// Pacing of a call's inbound media: a token bucket of caller audio time.
///
/// Twilio sends caller audio in real time (a 20 ms frame every 20 ms, also in silence). A
/// peer sending faster than that, beyond a small slack, is flooding: each frame beyond the
/// budget is dropped and counted instead of reaching the decoder, the detector and STT.
///
/// The bucket holds up to ``burst`` of audio credit (full at the start) and regains credit at
/// the rate of the wall clock. A frame costs the audio it carries (8 kHz mu-law: 125 µs a
/// byte), and at least ``minimumFrameCost`` (20 ms), so a flood of tiny frames is limited to
/// 50 frames a second as well. Time is given by the caller (a monotonic `Duration` since any
/// origin), so tests drive it with a manual clock. A value type with no allocation: one
/// decision per frame on the hot path.
public struct InboundMediaBudget: Sendable, Equatable {
    /// Audio time of one mu-law byte at 8 kHz, in nanoseconds.
    public static let nanosecondsPerByte: Int64 = 125_000

    /// Most audio credit held: the slack for frames that arrive late and then together.
    public let burst: Duration
    /// Least a frame costs, whatever its size.
    public let minimumFrameCost: Duration
    /// Least time between two log lines about drops.
    public let logInterval: Duration

    private let burstNanoseconds: Int64
    private let minimumCostNanoseconds: Int64
    private let logIntervalNanoseconds: Int64
    private var credit: Int64
    private var updatedAt: Int64?
    private var lastLogAt: Int64?
    private var droppedSinceLog = 0

    /// Frames dropped so far.
    public private(set) var droppedFrames = 0
    /// Frames dropped since the last ``takeUnreportedDrops()``.
    public private(set) var unreportedDrops = 0

    /// Creates a full bucket (defaults: 1 s of slack, 20 ms per frame at least, a log line
    /// at most every 10 s). Non-positive values are raised to the smallest that works.
    public init(burst: Duration = .seconds(1), minimumFrameCost: Duration = .milliseconds(20), logInterval: Duration = .seconds(10)) {
        self.burst = max(burst, .milliseconds(20))
        self.minimumFrameCost = max(minimumFrameCost, .microseconds(125))
        self.logInterval = max(logInterval, .zero)
        burstNanoseconds = Self.nanoseconds(self.burst)
        minimumCostNanoseconds = Self.nanoseconds(self.minimumFrameCost)
        logIntervalNanoseconds = Self.nanoseconds(self.logInterval)
        credit = burstNanoseconds
    }

    /// Decides one frame of `payloadByteCount` mu-law bytes arriving at `now`: true to keep
    /// it, false to drop it (counted in ``droppedFrames`` and ``unreportedDrops``). A clock
    /// that goes back gives no credit.
    public mutating func admit(payloadByteCount: Int, at now: Duration) -> Bool {
        let time = Self.nanoseconds(now)
        if let updatedAt, time > updatedAt {
            let gained = time - updatedAt
            credit = gained >= burstNanoseconds ? burstNanoseconds : min(burstNanoseconds, credit + gained)
        }
        if updatedAt.map({ time > $0 }) ?? true { updatedAt = time }
        let bytes = Int64(clamping: max(0, payloadByteCount))
        let (audio, overflow) = bytes.multipliedReportingOverflow(by: Self.nanosecondsPerByte)
        let cost = overflow ? Int64.max : max(audio, minimumCostNanoseconds)
        guard cost <= credit else {
            droppedFrames += 1
            unreportedDrops += 1
            droppedSinceLog += 1
            return false
        }
        credit -= cost
        return true
    }

    /// Returns the drops not yet reported (to the call's usage) and resets that count.
    public mutating func takeUnreportedDrops() -> Int {
        defer { unreportedDrops = 0 }
        return unreportedDrops
    }

    /// When a log line about drops is due at `now` (the first drop, then at most one per
    /// ``logInterval``), returns the frames dropped since the last line and starts a new
    /// interval; otherwise nil.
    public mutating func logLineDue(at now: Duration) -> Int? {
        guard droppedSinceLog > 0 else { return nil }
        let time = Self.nanoseconds(now)
        if let lastLogAt {
            let (since, overflow) = time.subtractingReportingOverflow(lastLogAt)
            if !overflow, since < logIntervalNanoseconds { return nil }
        }
        lastLogAt = time
        defer { droppedSinceLog = 0 }
        return droppedSinceLog
    }

    /// `duration` in whole nanoseconds, clamped to `Int64`.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (whole < 0 ? .min : .max) : total
    }
}
