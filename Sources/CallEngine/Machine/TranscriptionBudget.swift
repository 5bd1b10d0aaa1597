/// The STT requests of one call in a sliding minute of wall time: at most ``limit`` start in
/// any 60 s (``CallLimits/maximumTranscriptionsPerMinute``). A caller (or a peer replaying
/// audio) who produces utterances faster than that gets the excess skipped and counted
/// (``CallUsage/sttRequestsThrottled``) instead of one STT request each.
///
/// A value owned by ``CallStateMachine``; it holds at most ``limit`` start times and is
/// consulted once per utterance, never per frame.
struct TranscriptionBudget: Sendable, Equatable {
    /// Most requests started in one ``window``.
    let limit: Int
    /// The window: one minute.
    let window: Duration
    /// Start times of the requests in the window, oldest first.
    private var starts: [Duration] = []

    /// A budget of `limit` requests per `window` (at least one).
    init(limit: Int, window: Duration = .seconds(60)) {
        self.limit = max(1, limit)
        self.window = window > .zero ? window : .seconds(60)
    }

    /// Takes one request at wall time `wall`: false (nothing taken) when the window is full.
    mutating func take(at wall: Duration) -> Bool {
        let expired = expiredCount(at: wall)
        if expired > 0 { starts.removeFirst(expired) }
        guard starts.count < limit else { return false }
        starts.append(wall)
        return true
    }

    private func expiredCount(at wall: Duration) -> Int {
        starts.prefix(while: { wall - $0 >= window }).count
    }
}
