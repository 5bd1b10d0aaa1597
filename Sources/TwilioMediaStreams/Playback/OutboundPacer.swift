import CallAudio

/// Real-time pacing of agent audio to Twilio, with a small lead.
///
/// Agent audio (mu-law bytes of any length, grouped in chunks) is queued locally and
/// released in whole 160-byte (20 ms) frames no faster than real time, keeping at most
/// ``Configuration/maximumLead`` (100 ms) queued at Twilio ahead of playback, so a `clear`
/// silences the caller side within about that long. A chunk's last partial frame is padded
/// with mu-law silence; right after it the chunk's `mark` is released. Frames of one chunk
/// released at the same moment can leave as one media message
/// (``Configuration/maximumFramesPerMessage``): Twilio plays media "of any size" in order.
///
/// Time is a `Duration` since any origin the caller chooses (for example
/// `clock.now - start` of a `ContinuousClock`, or a virtual clock in tests); the pacer never
/// sleeps. The driver loop is:
///
///     switch pacer.poll(now: now, emit: send) {
///     case .until(let t): sleep until t (or until more audio arrives)
///     case .idle: wait for more audio
///     }
///
/// After the queue first grows to its working size, neither queuing nor polling allocates.
/// One pacer per call; it is a value owned by the call's task.
public struct OutboundPacer: Sendable {
    /// Pacing parameters.
    public struct Configuration: Sendable, Hashable {
        /// Bytes per frame: 160 (20 ms of 8 kHz mu-law).
        public var frameByteCount: Int
        /// Most audio allowed to be queued at Twilio ahead of real time (default 100 ms).
        public var maximumLead: Duration
        /// The byte used to pad a chunk's last partial frame (mu-law silence).
        public var paddingByte: UInt8
        /// Once the lead is full, the pacer waits until it has fallen to this before it sends
        /// again, then tops it up in one burst: `(maximumLead - refillLead) / 20 ms` frames per
        /// wake-up instead of one. Default: one frame below ``maximumLead`` (a frame every 20 ms).
        public var refillLead: Duration
        /// Most frames of one chunk carried by one ``Output/media(_:chunk:)`` (one media
        /// message): frames released at the same moment are merged up to this many. Default 1
        /// (a message per frame).
        public var maximumFramesPerMessage: Int

        /// Creates a configuration. `refillLead` is clamped to `0...maximumLead - frame`,
        /// `maximumFramesPerMessage` to at least 1.
        public init(
            frameByteCount: Int = 160, maximumLead: Duration = .milliseconds(100), refillLead: Duration? = nil,
            maximumFramesPerMessage: Int = 1, paddingByte: UInt8 = MuLaw.silenceCode
        ) {
            self.frameByteCount = max(8, frameByteCount)
            self.maximumLead = maximumLead
            self.paddingByte = paddingByte
            self.maximumFramesPerMessage = max(1, maximumFramesPerMessage)
            let frame = Duration.microseconds(self.frameByteCount * 125)
            let highest = max(.zero, maximumLead - frame)
            self.refillLead = min(highest, max(.zero, refillLead ?? highest))
        }

        /// For a live phone call: up to 200 ms queued at Twilio, topped up in bursts of 100 ms,
        /// each burst one media message (a wake-up and a socket write per 100 ms instead of
        /// five per 100 ms frame by frame). A barge-in's `clear` still empties Twilio's buffer
        /// at once.
        public static let telephony = Configuration(
            maximumLead: .milliseconds(200), refillLead: .milliseconds(100), maximumFramesPerMessage: 10)

        /// Playback time of one frame (1 ms per 8 bytes).
        public var frameDuration: Duration { .microseconds(frameByteCount * 125) }
    }

    /// One thing for the driver to send, in order.
    public enum Output {
        /// One media message of one or more whole frames (a multiple of
        /// ``Configuration/frameByteCount`` bytes, at most
        /// ``Configuration/maximumFramesPerMessage`` frames), valid during the callback only.
        case media(UnsafeBufferPointer<UInt8>, chunk: PlaybackChunkID)
        /// The mark after `chunk`'s last frame.
        case mark(PlaybackChunkID)
    }

    /// When the driver should poll again.
    public enum Wait: Sendable, Hashable {
        /// Poll again at this time (a frame slot opens then).
        case until(Duration)
        /// Nothing is ready: poll again after ``append(_:chunk:)`` or ``finishChunk(_:)``.
        case idle
    }

    /// What ``clear(now:)`` dropped.
    public struct ClearResult: Sendable, Hashable {
        /// Bytes queued locally that will never be sent.
        public var droppedByteCount: Int
        /// Chunks with queued audio or an unsent mark that were dropped.
        public var droppedChunks: [PlaybackChunkID]
        /// Whether sent audio was, by the pacer's clock, still queued at Twilio.
        public var hadAudioQueuedAtTwilio: Bool
    }

    private struct Segment: Sendable {
        var id: PlaybackChunkID
        var start: Int
        var end: Int
        var finished: Bool
    }

    /// The configuration in force.
    public let configuration: Configuration
    private var storage: [UInt8] = []
    private var segments: [Segment] = []
    private var segmentHead = 0
    private var scratch: [UInt8]
    /// Pacer time at which the audio sent so far finishes playing.
    private var queuedUntil: Duration = .zero

    /// Creates a pacer. `reservedByteCount` pre-sizes the local queue (default 10 s of audio).
    public init(configuration: Configuration = .init(), reservedByteCount: Int = 80_000) {
        self.configuration = configuration
        self.scratch = [UInt8](
            repeating: configuration.paddingByte, count: configuration.frameByteCount * configuration.maximumFramesPerMessage)
        storage.reserveCapacity(reservedByteCount)
        segments.reserveCapacity(32)
    }

    /// Bytes queued locally, not yet sent.
    public var queuedByteCount: Int {
        var total = 0
        for k in segmentHead..<segments.count { total += segments[k].end - segments[k].start }
        return total
    }

    /// How far the sent audio runs ahead of `now` (0 when Twilio's buffer should be empty).
    public func lead(at now: Duration) -> Duration {
        queuedUntil > now ? queuedUntil - now : .zero
    }

    /// Whether anything (audio or a mark) waits to be sent.
    public var hasQueuedOutput: Bool { segmentHead < segments.count }

    /// Queues mu-law bytes of `chunk`. Appending to a different chunk than the last one
    /// finishes the previous chunk (its mark follows its audio).
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, chunk: PlaybackChunkID) {
        if segmentHead < segments.count, let last = segments.indices.last, !segments[last].finished {
            if segments[last].id == chunk {
                storage.append(contentsOf: bytes)
                segments[last].end = storage.count
                return
            }
            segments[last].finished = true
        }
        let start = storage.count
        storage.append(contentsOf: bytes)
        segments.append(Segment(id: chunk, start: start, end: storage.count, finished: false))
    }

    /// Queues mu-law bytes of `chunk` (convenience for arrays).
    public mutating func append(_ bytes: [UInt8], chunk: PlaybackChunkID) {
        bytes.withUnsafeBufferPointer { append($0, chunk: chunk) }
    }

    /// Ends `chunk`: its last partial frame is padded and its mark released after it. A chunk
    /// that queued no audio still gets its mark (released in order). Finishing the chunk that
    /// is still queued again does nothing.
    public mutating func finishChunk(_ chunk: PlaybackChunkID) {
        if segmentHead < segments.count, let last = segments.indices.last, segments[last].id == chunk {
            segments[last].finished = true  // finishing twice queues one mark, not two
            return
        }
        if segmentHead < segments.count, let last = segments.indices.last, !segments[last].finished {
            segments[last].finished = true
        }
        segments.append(Segment(id: chunk, start: storage.count, end: storage.count, finished: true))
    }

    /// Ends the chunk still open, whose audio was queued under a provisional id before its name
    /// was known, as `chunk`: its mark, named after `chunk`, follows its audio. With no open
    /// chunk, queues `chunk`'s mark alone (released in order).
    public mutating func finishOpenChunk(as chunk: PlaybackChunkID) {
        if segmentHead < segments.count, let last = segments.indices.last, !segments[last].finished {
            segments[last].id = chunk
            segments[last].finished = true
            return
        }
        segments.append(Segment(id: chunk, start: storage.count, end: storage.count, finished: true))
    }

    /// Releases every frame and mark whose time has come, in order, through `emit`.
    /// - Parameter limit: the most outputs to release in this call; when reached, the result is
    ///   `.until(now)` (poll again at once).
    /// - Returns: when to poll again.
    public mutating func poll<E: Error>(now: Duration, limit: Int = .max, emit: (Output) throws(E) -> Void) throws(E) -> Wait {
        let frameBytes = configuration.frameByteCount
        let frameDuration = configuration.frameDuration
        var released = 0
        // Hysteresis: above `refillLead` no frame goes out; at or below it, the lead is topped
        // up to `maximumLead` in one burst. Marks are never held back.
        let refilling = lead(at: now) <= configuration.refillLead
        while segmentHead < segments.count {
            if released >= limit { return .until(now) }
            released += 1
            let segment = segments[segmentHead]
            let available = segment.end - segment.start
            if available >= frameBytes || (segment.finished && available > 0) {
                let ahead = lead(at: now)
                if !refilling || ahead + frameDuration > configuration.maximumLead {
                    return .until(queuedUntil - configuration.refillLead)
                }
                // Frames that fit in the lead, that this segment holds (its padded tail counts
                // once it is finished), and that one message may carry.
                let whole = available / frameBytes
                let held = min(segment.finished && available % frameBytes > 0 ? whole + 1 : whole, configuration.maximumFramesPerMessage)
                var frames = 1
                while frames < held, ahead + frameDuration * (frames + 1) <= configuration.maximumLead { frames += 1 }
                let n = min(available, frames * frameBytes)
                queuedUntil = max(queuedUntil, now) + frameDuration * frames
                segments[segmentHead].start += n
                if n == frames * frameBytes {
                    try storage.withUnsafeBufferPointer { (all) throws(E) in
                        try emit(.media(UnsafeBufferPointer(rebasing: all[segment.start..<(segment.start + n)]), chunk: segment.id))
                    }
                } else {
                    let total = frames * frameBytes
                    for k in 0..<total { scratch[k] = k < n ? storage[segment.start + k] : configuration.paddingByte }
                    try scratch.withUnsafeBufferPointer { (all) throws(E) in
                        try emit(.media(UnsafeBufferPointer(rebasing: all[0..<total]), chunk: segment.id))
                    }
                }
            } else if segment.finished {
                segmentHead += 1
                try emit(.mark(segment.id))
            } else {
                compact()
                return .idle
            }
        }
        compact()
        return .idle
    }

    /// Drops every queued frame and unsent mark (barge-in) and resets the lead: Twilio empties
    /// its buffer when it gets `clear`.
    public mutating func clear(now: Duration) -> ClearResult {
        var dropped = 0
        var chunks: [PlaybackChunkID] = []
        for k in segmentHead..<segments.count {
            dropped += segments[k].end - segments[k].start
            if chunks.last != segments[k].id { chunks.append(segments[k].id) }
        }
        let hadAudio = queuedUntil > now
        storage.removeAll(keepingCapacity: true)
        segments.removeAll(keepingCapacity: true)
        segmentHead = 0
        queuedUntil = now
        return ClearResult(droppedByteCount: dropped, droppedChunks: chunks, hadAudioQueuedAtTwilio: hadAudio)
    }

    /// Reclaims sent bytes without reallocating.
    private mutating func compact() {
        if segmentHead == segments.count {
            storage.removeAll(keepingCapacity: true)
            segments.removeAll(keepingCapacity: true)
            segmentHead = 0
            return
        }
        let consumed = segments[segmentHead].start
        guard consumed >= 16_384, consumed * 2 >= storage.count else { return }
        storage.removeSubrange(0..<consumed)
        segments.removeSubrange(0..<segmentHead)
        segmentHead = 0
        for k in segments.indices {
            segments[k].start -= consumed
            segments[k].end -= consumed
        }
    }
}
