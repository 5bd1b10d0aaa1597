/// The call's clocks and deadlines, as values the state machine reads and advances.
///
/// Two clocks: caller-audio time (20 ms per inbound frame; it drives VAD-related timing:
/// idle prompts, the DTMF inter-digit timeout, playback estimates) and wall time (the
/// engine's ``CallClock``; it drives the deadlines that must hold even when the peer stops
/// sending: maximum duration, the media gap, the goodbye deadline).
struct CallTimers: Sendable {
    /// Caller-audio time: 20 ms per frame received.
    private(set) var audioTime: Duration = .zero
    /// Latest wall time seen.
    private(set) var wallTime: Duration = .zero
    /// Wall time the call started.
    private(set) var startedAt: Duration?
    /// Wall time of the latest caller frame (or the start).
    private(set) var lastFrameAt: Duration = .zero
    /// Caller-audio time of the latest activity (speech, keys, the end of agent speech).
    var lastActivity: Duration = .zero
    /// Idle prompts said since the caller last spoke.
    var idlePrompts = 0
    /// Keypad digits collected but not yet sent to the model.
    private(set) var digits = ""
    /// Caller-audio time of the latest digit.
    private(set) var lastDigitAt: Duration = .zero

    /// Records a frame: advances audio time by `duration`, wall time to `wall`.
    mutating func frame(duration: Duration, wall: Duration) {
        audioTime += duration
        advance(wall: wall)
        lastFrameAt = wallTime
    }

    /// Advances wall time (never backwards).
    mutating func advance(wall: Duration) {
        if wall > wallTime { wallTime = wall }
    }

    /// The call started at `wall`.
    mutating func start(wall: Duration) {
        advance(wall: wall)
        startedAt = wallTime
        lastFrameAt = wallTime
    }

    /// Wall time since the call started.
    var elapsed: Duration { startedAt.map { wallTime - $0 } ?? .zero }

    /// Wall time since the latest caller frame.
    var mediaGap: Duration { startedAt == nil ? .zero : wallTime - lastFrameAt }

    /// The caller has been quiet for `timeout` of audio time.
    func idle(for timeout: Duration) -> Bool { audioTime - lastActivity >= timeout }

    /// Caller activity now.
    mutating func noteActivity() { lastActivity = audioTime }

    /// A digit pressed now.
    mutating func collect(digit: String) {
        digits += digit
        lastDigitAt = audioTime
    }

    /// Collected digits whose inter-digit timeout passed (or all of them when `force`), cleared.
    mutating func takeDigits(interDigitTimeout: Duration, force: Bool) -> String? {
        guard !digits.isEmpty, force || audioTime - lastDigitAt >= interDigitTimeout else { return nil }
        defer { digits = "" }
        return digits
    }
}
