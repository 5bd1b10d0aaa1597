/// Tracks what happened to agent audio after it was sent: which chunks were played, which
/// were flushed by `clear`, and how much of each the caller actually heard.
///
/// A small explicit state machine per chunk (see ``PlaybackChunkReport/State``):
///
///     sending --markSent--> awaitingEcho --echo--> played
///        \                      \
///         +------clear----------+--> flushed   (a later echo of its mark is "flushed", not "played")
///
/// Semantics follow Twilio: an echoed mark means the audio before it is no longer queued.
/// Before a `clear` that means it was played; on `clear` Twilio echoes every pending mark at
/// once, so ``clear()`` moves every unfinished chunk to `flushed` and remembers the mark names
/// still to be echoed. How much of a chunk was heard comes from the caller-audio clock, as in
/// Twilio's own sample: `latest inbound media timestamp − chunk start`, capped at what was
/// sent; a chunk whose mark echoed before any clear was heard in full.
///
/// Pure value, no clock and no I/O: feed it events, read ``report(for:)``.
public struct PlaybackTracker: Sendable {
    private struct Record: Sendable {
        var id: PlaybackChunkID
        var state: PlaybackChunkReport.State
        var sentBytes: Int
        /// Caller-audio time (ms) at which the chunk's first byte began to play (estimated).
        var startMilliseconds: Int64
        /// Caller-audio time (ms) of the `clear` that flushed it.
        var clearedAtMilliseconds: Int64?
    }

    private var records: [Record] = []
    private var flushedMarks: [PlaybackChunkID: Int] = [:]
    private var latestMediaMilliseconds: Int64 = 0
    /// Caller-audio time (ms) at which everything sent so far would have finished playing.
    private var queuedUntilMilliseconds: Int64 = 0
    /// Finished records kept for ``report(for:)``; older ones are dropped.
    public let maximumFinishedRecords: Int

    /// Creates a tracker. Keeps the reports of the last `maximumFinishedRecords` finished chunks.
    public init(maximumFinishedRecords: Int = 256) {
        self.maximumFinishedRecords = max(1, maximumFinishedRecords)
        records.reserveCapacity(16)
    }

    /// Advances the caller-audio clock from an inbound `media.timestamp` (ms). Older values are ignored.
    public mutating func observeInboundMedia(timestamp: UInt64) {
        let t = Int64(clamping: timestamp)
        if t > latestMediaMilliseconds { latestMediaMilliseconds = t }
    }

    /// The latest caller-audio time seen (ms).
    public var latestMediaTimestamp: Int64 { latestMediaMilliseconds }

    /// Records that `byteCount` bytes of `chunk` were sent to Twilio.
    /// - Returns: false (and records nothing) when the chunk was already finished or its mark already sent.
    @discardableResult
    public mutating func frameSent(chunk: PlaybackChunkID, byteCount: Int) -> Bool {
        guard byteCount > 0 else { return true }
        let start = max(latestMediaMilliseconds, queuedUntilMilliseconds)
        if let last = records.indices.last, records[last].id == chunk {
            guard records[last].state == .sending else { return false }
            records[last].sentBytes += byteCount
        } else {
            guard index(of: chunk) == nil else { return false }
            records.append(Record(id: chunk, state: .sending, sentBytes: byteCount, startMilliseconds: start, clearedAtMilliseconds: nil))
        }
        // Bytes at 8 kHz: 8 per ms. Keep sub-millisecond remainders out of the clock.
        // Saturating: a hostile timestamp near Int64.max must not trap.
        let (end, overflow) = start.addingReportingOverflow(Int64(byteCount / 8))
        queuedUntilMilliseconds = overflow ? .max : end
        return true
    }

    /// Records that `chunk`'s mark was sent (after its last frame). A chunk with no audio is
    /// recorded here too: Twilio echoes its mark as soon as the audio before it is done.
    public mutating func markSent(chunk: PlaybackChunkID) {
        if let i = index(of: chunk) {
            if records[i].state == .sending { records[i].state = .awaitingEcho }
        } else if let last = records.indices.last, records[last].id == .provisional, records[last].state == .sending {
            // Audio sent before its chunk was named (``OutboundPacer/finishOpenChunk(as:)``) is this chunk.
            records[last].id = chunk
            records[last].state = .awaitingEcho
        } else {
            let start = max(latestMediaMilliseconds, queuedUntilMilliseconds)
            records.append(Record(id: chunk, state: .awaitingEcho, sentBytes: 0, startMilliseconds: start, clearedAtMilliseconds: nil))
        }
    }

    /// Classifies an echoed mark and updates the chunks it covers.
    public mutating func markEchoed(name: String) -> MarkEchoResult {
        guard let id = PlaybackChunkID(markName: name) else { return .unknown(name: name) }
        if let pending = flushedMarks[id] {
            if pending <= 1 { flushedMarks[id] = nil } else { flushedMarks[id] = pending - 1 }
            return .flushed(id)
        }
        guard let i = index(of: id), records[i].state == .awaitingEcho else { return .unknown(name: name) }
        // Twilio plays in order: everything up to this mark has been heard in full.
        for k in 0...i where records[k].state == .awaitingEcho || records[k].state == .sending {
            records[k].state = .played
        }
        prune()
        return .played(id)
    }

    /// Records that the server sent `clear`: every unfinished chunk becomes `flushed`, its heard
    /// part frozen at the current caller-audio time, and its mark (if sent) will echo as flushed.
    /// - Returns: the chunks flushed, oldest first.
    @discardableResult
    public mutating func clear() -> [PlaybackChunkID] {
        var flushed: [PlaybackChunkID] = []
        for k in records.indices where records[k].state == .sending || records[k].state == .awaitingEcho {
            if records[k].state == .awaitingEcho { flushedMarks[records[k].id, default: 0] += 1 }
            records[k].state = .flushed
            records[k].clearedAtMilliseconds = latestMediaMilliseconds
            flushed.append(records[k].id)
        }
        queuedUntilMilliseconds = latestMediaMilliseconds
        prune()
        return flushed
    }

    /// Whether some sent audio has not been confirmed played or flushed (the agent may be audible).
    public var hasPendingAudio: Bool {
        records.contains { $0.state == .sending || $0.state == .awaitingEcho }
    }

    /// Marks sent whose echo has not arrived yet, as played (not counting flushed ones).
    public var pendingMarkCount: Int {
        records.reduce(0) { $0 + ($1.state == .awaitingEcho ? 1 : 0) }
    }

    /// Flushed marks whose echo has not arrived yet.
    public var flushedMarksAwaitingEcho: Int {
        flushedMarks.values.reduce(0, +)
    }

    /// The report for `chunk`, or nil if unknown (never sent, or pruned).
    public func report(for chunk: PlaybackChunkID) -> PlaybackChunkReport? {
        guard let i = index(of: chunk) else { return nil }
        return report(records[i])
    }

    /// Reports for every known chunk of `turn`, in send order.
    public func reports(forTurn turn: Int) -> [PlaybackChunkReport] {
        records.filter { $0.id.turn == turn }.map(report)
    }

    /// Total audio of `turn` the caller heard.
    public func playedDuration(ofTurn turn: Int) -> Duration {
        .microseconds(reports(forTurn: turn).reduce(0) { $0 + $1.playedByteCount } * 125)
    }

    private func report(_ r: Record) -> PlaybackChunkReport {
        let played: Int
        switch r.state {
        case .played:
            played = r.sentBytes
        case .flushed:
            played = heard(r, until: r.clearedAtMilliseconds ?? r.startMilliseconds)
        case .sending, .awaitingEcho:
            played = heard(r, until: latestMediaMilliseconds)
        }
        return PlaybackChunkReport(id: r.id, state: r.state, sentByteCount: r.sentBytes, playedByteCount: played)
    }

    private func heard(_ r: Record, until t: Int64) -> Int {
        let (difference, overflow) = t.subtractingReportingOverflow(r.startMilliseconds)
        let elapsed = overflow ? Int64.max : max(0, difference)
        // Cap before multiplying so huge timestamps cannot overflow.
        let cappedMilliseconds = min(elapsed, Int64(r.sentBytes / 8) + 1)
        return Int(min(Int64(r.sentBytes), cappedMilliseconds * 8))
    }

    private func index(of chunk: PlaybackChunkID) -> Int? {
        records.lastIndex { $0.id == chunk }
    }

    /// Drops the oldest finished records beyond ``maximumFinishedRecords``.
    private mutating func prune() {
        let finished = records.reduce(0) { $0 + (($1.state == .played || $1.state == .flushed) ? 1 : 0) }
        var excess = finished - maximumFinishedRecords
        guard excess > 0 else { return }
        records.removeAll { r in
            guard excess > 0, r.state == .played || r.state == .flushed else { return false }
            excess -= 1
            return true
        }
    }
}
