/// Tracks what happened to agent audio after it was sent: which chunks were played and
/// which were flushed by `clear`, so each echoed mark is classified exactly once.
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
/// still to be echoed. How much of a flushed chunk the caller heard is the call engine's
/// business (it knows the chunk's words and duration); this type only keeps the order.
///
/// Pure value, no clock and no I/O: feed it events, read ``report(for:)``.
public struct PlaybackTracker: Sendable {
    private struct Record: Sendable {
        var id: PlaybackChunkID
        var state: PlaybackChunkReport.State
        var sentBytes: Int
    }

    private var records: [Record] = []
    private var flushedMarks: [PlaybackChunkID: Int] = [:]
    /// Finished records kept for ``report(for:)``; older ones are dropped.
    public let maximumFinishedRecords: Int

    /// Creates a tracker. Keeps the reports of the last `maximumFinishedRecords` finished chunks.
    public init(maximumFinishedRecords: Int = 256) {
        self.maximumFinishedRecords = max(1, maximumFinishedRecords)
        records.reserveCapacity(16)
    }

    /// Records that `byteCount` bytes of `chunk` were sent to Twilio.
    /// - Returns: false (and records nothing) when the chunk was already finished or its mark already sent.
    @discardableResult
    public mutating func frameSent(chunk: PlaybackChunkID, byteCount: Int) -> Bool {
        guard byteCount > 0 else { return true }
        if let last = records.indices.last, records[last].id == chunk {
            guard records[last].state == .sending else { return false }
            records[last].sentBytes += byteCount
        } else {
            guard index(of: chunk) == nil else { return false }
            records.append(Record(id: chunk, state: .sending, sentBytes: byteCount))
        }
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
            records.append(Record(id: chunk, state: .awaitingEcho, sentBytes: 0))
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

    /// Records that the server sent `clear`: every unfinished chunk becomes `flushed`, and its
    /// mark (if sent) will echo as flushed.
    /// - Returns: the chunks flushed, oldest first.
    @discardableResult
    public mutating func clear() -> [PlaybackChunkID] {
        var flushed: [PlaybackChunkID] = []
        for k in records.indices where records[k].state == .sending || records[k].state == .awaitingEcho {
            if records[k].state == .awaitingEcho { flushedMarks[records[k].id, default: 0] += 1 }
            records[k].state = .flushed
            flushed.append(records[k].id)
        }
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
        return PlaybackChunkReport(id: records[i].id, state: records[i].state, sentByteCount: records[i].sentBytes)
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
