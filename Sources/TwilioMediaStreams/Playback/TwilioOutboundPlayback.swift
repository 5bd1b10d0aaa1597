import NIOCore

/// The outbound half of one Twilio media stream: ``OutboundPacer`` + ``PlaybackTracker`` +
/// ``TwilioOutboundEncoder`` wired together, so the call's adapter only queues agent audio,
/// polls with the current time, forwards mark echoes, and calls
/// ``interrupt(now:send:)`` on barge-in.
///
/// Every message is handed to `send` as UTF-8 JSON in a `ByteBuffer` that is reused for the
/// next message (copy it, or write it out, before returning).
public struct TwilioOutboundPlayback: Sendable {
    /// The pacer (frames, lead, marks).
    public private(set) var pacer: OutboundPacer
    /// What was played and flushed.
    public private(set) var tracker: PlaybackTracker
    /// The message writer for this stream.
    public let encoder: TwilioOutboundEncoder
    private var message: ByteBuffer
    /// When the audio before the oldest mark still awaiting its echo finishes playing (nil: no
    /// mark is awaited). Twilio echoes a mark once the audio before it has played, so an echo
    /// far past this time means the peer is not consuming the stream.
    private var echoDue: Duration?

    /// Creates the outbound side for `streamSid` (from `start`).
    public init(streamSid: String, pacing: OutboundPacer.Configuration = .init(), tracker: PlaybackTracker = .init()) {
        self.pacer = OutboundPacer(configuration: pacing)
        self.tracker = tracker
        self.encoder = TwilioOutboundEncoder(streamSid: streamSid)
        self.message = ByteBufferAllocator().buffer(capacity: encoder.mediaMessageByteCount(payloadByteCount: pacing.frameByteCount * pacing.maximumFramesPerMessage) + 64)
    }

    /// Queues agent audio (mu-law bytes) of `chunk`.
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, chunk: PlaybackChunkID) {
        pacer.append(bytes, chunk: chunk)
    }

    /// Queues agent audio (mu-law bytes) of `chunk`.
    public mutating func append(_ bytes: [UInt8], chunk: PlaybackChunkID) {
        pacer.append(bytes, chunk: chunk)
    }

    /// Ends `chunk`; its mark follows its last frame.
    public mutating func finishChunk(_ chunk: PlaybackChunkID) {
        pacer.finishChunk(chunk)
    }

    /// Names the open chunk (audio appended under ``PlaybackChunkID/provisional``) `chunk` and
    /// ends it; its mark follows its audio.
    public mutating func finishOpenChunk(as chunk: PlaybackChunkID) {
        pacer.finishOpenChunk(as: chunk)
    }

    /// Sends every frame and mark that is due at `now`.
    /// - Returns: when to poll again.
    public mutating func poll<E: Error>(now: Duration, send: (ByteBuffer) throws(E) -> Void) throws(E) -> OutboundPacer.Wait {
        try Self.drive(
            pacer: &pacer, tracker: &tracker, message: &message, echoDue: &echoDue, encoder: encoder, now: now, send: send)
    }

    /// One step of an async driver loop: the next message due at `now`, or when to ask again.
    public enum Step: Sendable, Equatable {
        /// Send this message (UTF-8 JSON text), then call ``next(now:)`` again.
        case send(ByteBuffer)
        /// Nothing is due before this time.
        case wait(until: Duration)
        /// Nothing is queued: wait for more audio (``append(_:chunk:)-(UnsafeBufferPointer<UInt8>,_)`` or ``finishChunk(_:)``).
        case idle
    }

    /// Pull-style alternative to ``poll(now:send:)`` for async writers:
    ///
    ///     while true {
    ///         switch playback.next(now: clock.now - origin) {
    ///         case .send(let text): try await outbound.write(text)   // a WebSocket text frame
    ///         case .wait(let t): sleep until origin + t, or until more audio arrives
    ///         case .idle: wait for more audio
    ///         }
    ///     }
    ///
    /// The returned buffer is reused by the next call; once the write has completed no copy
    /// (and no allocation) is made.
    public mutating func next(now: Duration) -> Step {
        var produced = false
        let wait = Self.drive(
            pacer: &pacer, tracker: &tracker, message: &message, echoDue: &echoDue, encoder: encoder, now: now, limit: 1
        ) { _ in produced = true }
        if produced { return .send(message) }
        switch wait {
        case .until(let t): return .wait(until: t)
        case .idle: return .idle
        }
    }

    /// Takes the stored properties separately so the callback can mutate them while the pacer
    /// runs, without copying (and so reallocating) any of them.
    private static func drive<E: Error>(
        pacer: inout OutboundPacer,
        tracker: inout PlaybackTracker,
        message: inout ByteBuffer,
        echoDue: inout Duration?,
        encoder: TwilioOutboundEncoder,
        now: Duration,
        limit: Int = .max,
        send: (ByteBuffer) throws(E) -> Void
    ) throws(E) -> OutboundPacer.Wait {
        var markSent = false
        // The first awaited mark is due once the audio sent before it has played.
        defer { if markSent, echoDue == nil { echoDue = now + pacer.lead(at: now) } }
        return try pacer.poll(now: now, limit: limit) { (output) throws(E) in
            message.clear()
            switch output {
            case .media(let frame, let chunk):
                encoder.encodeMedia(UnsafeRawBufferPointer(frame), into: &message)
                try send(message)
                tracker.frameSent(chunk: chunk, byteCount: frame.count)
            case .mark(let chunk):
                encoder.encodeMark(name: chunk.markName, into: &message)
                try send(message)
                tracker.markSent(chunk: chunk)
                markSent = true
            }
        }
    }

    /// Barge-in: drops queued audio, sends `clear` when anything may still be audible or a mark
    /// is pending, and marks unfinished chunks as flushed.
    /// - Returns: the chunks that were cut short or never started, oldest first.
    public mutating func interrupt<E: Error>(now: Duration, send: (ByteBuffer) throws(E) -> Void) throws(E) -> [PlaybackChunkID] {
        let dropped = pacer.clear(now: now)
        if dropped.hadAudioQueuedAtTwilio || tracker.hasPendingAudio {
            message.clear()
            encoder.encodeClear(into: &message)
            try send(message)
        }
        var flushed = tracker.clear()
        for id in dropped.droppedChunks where !flushed.contains(id) { flushed.append(id) }
        // Twilio echoes every pending mark as soon as it gets `clear`.
        if echoDue != nil { echoDue = now }
        return flushed
    }

    /// Classifies a mark Twilio echoed.
    public mutating func markEchoed(name: String) -> MarkEchoResult {
        markEchoed(name: name, now: nil)
    }

    /// Classifies a mark Twilio echoed at `now` (pacer time), and restarts the echo deadline
    /// for the next mark still awaited (``echoOverdue(at:)``).
    public mutating func markEchoed(name: String, now: Duration?) -> MarkEchoResult {
        let result = tracker.markEchoed(name: name)
        if tracker.pendingMarkCount == 0 && tracker.flushedMarksAwaitingEcho == 0 {
            echoDue = nil
        } else if let now {
            // The marks still awaited cover audio that has all finished by the end of the lead.
            echoDue = now + pacer.lead(at: now)
        }
        return result
    }

    /// How long past the moment its audio finished playing the oldest awaited mark has gone
    /// unechoed (nil: none is late). A peer that stops reading never echoes: this grows.
    public func echoOverdue(at now: Duration) -> Duration? {
        guard let echoDue, now > echoDue else { return nil }
        return now - echoDue
    }

    /// Whether agent audio is queued here or may still be playing at Twilio.
    public var isAgentAudible: Bool { pacer.hasQueuedOutput || tracker.hasPendingAudio }
}
