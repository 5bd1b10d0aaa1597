import CallAudio
import CallEngine
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TwilioMediaStreams

/// The engine's ``CallTransport`` over one Twilio media stream.
///
/// `send` converts the engine's PCM16 (any rate) to 8 kHz mu-law frames with an
/// ``OutboundAudioConverter``, updates a lock-protected ``TwilioOutboundPlayback`` (pacer +
/// mark tracker) and wakes the single writer task, ``runWriter(write:close:)``, which releases
/// frames in real time (``OutboundPacer/Configuration/telephony``: up to 200 ms queued at Twilio,
/// topped up in bursts of 100 ms), writes `media`,
/// `mark` and `clear` text frames in order, and closes the socket on `.hangUp`.
///
/// The engine's opaque mark is the chunk id: its number is the Twilio mark's name, so no map
/// is kept; ``markEchoed(name:)`` turns Twilio's echo back into a played or flushed report.
public final class TwilioCallTransport: CallTransport {
    private struct Waiter: Sendable {
        var id: Int
        var limitBytes: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// `@unchecked`: `converter` is a non-`Sendable` class that this state owns alone and that is
    /// only used inside `state`'s lock, so it is never touched by two threads at once.
    private struct State: @unchecked Sendable {
        var playback: TwilioOutboundPlayback
        var converter: OutboundAudioConverter?
        var frames: [UInt8] = []
        var immediate: [ByteBuffer] = []
        var hangUpRequested = false
        var closed = false
        var transferTarget: String?
        var transferPlan: TwilioTransferPlan?
        var transfer = TransferProgress.none
        var outcomeWaiters: [CheckedContinuation<TwilioTransferOutcome?, Never>] = []
        var waiters: [Waiter] = []
        /// When the write in progress started (nil: none in progress).
        var writingSince: Duration?
        var nextWaiterID = 0
        /// The carrier's side of the stream is over (``streamEnded()``).
        var streamOver = false
        var streamWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private enum TransferProgress: Sendable {
        case none
        case redirecting
        case done(TwilioTransferOutcome)
    }

    private let state: NIOLockedValueBox<State>
    private let wakeUp: AsyncStream<Void>.Continuation
    private let wakeUps: AsyncStream<Void>
    private let origin: ContinuousClock.Instant
    private let logger: Logger

    /// Creates the transport for `streamSid` (from `start`).
    /// - Parameter logger: should carry `call_sid`.
    public init(streamSid: String, pacing: OutboundPacer.Configuration = .telephony, logger: Logger) {
        state = NIOLockedValueBox(State(playback: TwilioOutboundPlayback(streamSid: streamSid, pacing: pacing)))
        (wakeUps, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        origin = .now
        self.logger = logger
    }

    private var now: Duration { ContinuousClock.now - origin }

    // MARK: CallTransport

    /// Queues a command for the writer. Never blocks.
    public func send(_ command: TransportCommand) {
        let now = self.now
        var failure: AudioError?
        let resumed: [Waiter] = state.withLockedValue { state in
            guard !state.closed, !state.hangUpRequested else { return [] }
            switch command {
            case .audio(let audio):
                do throws(AudioError) {
                    try Self.convert(audio, state: &state)
                } catch {
                    failure = error
                }
            case .mark(let mark):
                do throws(AudioError) {
                    try Self.finishConverter(state: &state)
                } catch {
                    failure = error
                }
                state.playback.finishOpenChunk(as: Self.chunk(for: mark))
            case .clear:
                var messages: [ByteBuffer] = []
                _ = state.playback.interrupt(now: now) { buffer in messages.append(buffer) }
                state.immediate.append(contentsOf: messages)
                try? state.converter?.reset()
                return Self.takeSatisfied(&state)
            case .hangUp:
                state.hangUpRequested = true
            case .transfer(let target):
                state.transferTarget = target
            }
            return []
        }
        if let failure {
            logger.warning("agent audio could not be converted for Twilio; dropped", metadata: ["error": "\(failure)"])
        }
        if case .transfer(let target) = command {
            let planned = state.withLockedValue { $0.transferPlan != nil }
            if planned {
                logger.info("call transfer requested; redirecting after the agent's line", metadata: ["target": "\(target.prefix(64))"])
            } else {
                logger.warning("call transfer requested but no call control is configured; hanging up", metadata: ["target": "\(target.prefix(64))"])
            }
        }
        for waiter in resumed { waiter.continuation.resume() }
        wakeUp.yield()
    }

    /// The Twilio chunk an engine mark closes: its number names the `mark` on the wire.
    static func chunk(for mark: PlaybackMark) -> PlaybackChunkID {
        PlaybackChunkID(turn: 0, chunk: Int(clamping: mark.rawValue))
    }

    /// PCM16 (any rate) to 8 kHz mu-law, appended to the open chunk.
    private static func convert(_ audio: PCMAudio, state: inout State) throws(AudioError) {
        guard !audio.samples.isEmpty else { return }
        if state.converter?.inputRate != audio.sampleRate {
            try finishConverter(state: &state)
            state.converter = try OutboundAudioConverter(inputRate: audio.sampleRate)
        }
        guard let converter = state.converter else { return }
        state.frames.removeAll(keepingCapacity: true)
        try audio.samples.withUnsafeBufferPointer { (samples: UnsafeBufferPointer<Int16>) throws(AudioError) in
            try converter.process(pcm16: samples) { frame in state.frames.append(contentsOf: frame) }
        }
        if !state.frames.isEmpty { state.playback.append(state.frames, chunk: .provisional) }
    }

    /// The end of a sentence: what the resampler holds, padded to a whole frame.
    private static func finishConverter(state: inout State) throws(AudioError) {
        guard let converter = state.converter else { return }
        state.frames.removeAll(keepingCapacity: true)
        try converter.finish { frame in state.frames.append(contentsOf: frame) }
        if !state.frames.isEmpty { state.playback.append(state.frames, chunk: .provisional) }
    }

    /// Suspends until less than `duration` of agent audio is queued locally.
    public func waitForPlaybackBacklog(below duration: Duration) async throws {
        let limitBytes = max(1, Int(duration / .microseconds(125)))
        let id = state.withLockedValue { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.closed || state.playback.pacer.queuedByteCount < limitBytes || Task.isCancelled { return true }
                    state.waiters.append(Waiter(id: id, limitBytes: limitBytes, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    // MARK: Inbound side

    /// Classifies a mark Twilio echoed: the engine's played or flushed report, or nil for a
    /// mark this transport never sent (or one already reported).
    public func markEchoed(name: String) -> TransportEvent? {
        let now = self.now
        return state.withLockedValue { state -> TransportEvent? in
            switch state.playback.markEchoed(name: name, now: now) {
            case .played(let chunk):
                return .markPlayed(PlaybackMark(rawValue: UInt64(clamping: chunk.chunk)))
            case .flushed(let chunk):
                return .markFlushed(PlaybackMark(rawValue: UInt64(clamping: chunk.chunk)))
            case .unknown:
                return nil
            }
        }
    }

    /// Whether a write has been pending for at least `limit`: the peer stopped reading (its
    /// TCP window is full), so the call cannot be heard any more.
    public func writeStalled(longerThan limit: Duration) -> Bool {
        let now = self.now
        return state.withLockedValue { state in state.writingSince.map { now - $0 >= limit } ?? false }
    }

    /// Whether a mark has gone unechoed for at least `limit` after its audio finished playing:
    /// the peer is not consuming the stream (it stopped reading, or its socket buffers are
    /// large enough that no write blocks yet).
    public func marksUnechoed(longerThan limit: Duration) -> Bool {
        let now = self.now
        return state.withLockedValue { state in state.playback.echoOverdue(at: now).map { $0 >= limit } ?? false }
    }

    /// Whether the transport was closed.
    public var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Records that the carrier's side of the media stream is over: it sent `stop`, answered
    /// or sent a close, or the socket failed. Until then the carrier's call may still be live
    /// (Twilio ends a `<Connect><Stream>` call once the stream has closed), so a worker frees
    /// the call's fleet slot only after this (``waitUntilStreamEnded(timeout:)``). Idempotent.
    public func streamEnded() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.streamOver = true
            defer { state.streamWaiters.removeAll() }
            return Array(state.streamWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until ``streamEnded()`` was called, at most `timeout` (a peer that ignores the
    /// close cannot hold the slot), and not past the task's cancellation.
    /// - Returns: Whether the stream ended within the wait.
    public func waitUntilStreamEnded(timeout: Duration) async -> Bool {
        if state.withLockedValue({ $0.streamOver }) { return true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.untilStreamOver() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return state.withLockedValue { $0.streamOver }
    }

    /// Returns once the stream is over or the task is cancelled.
    private func untilStreamOver() async {
        let id = state.withLockedValue { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                // Cancellation sets the flag before its handler runs: a handler that ran before
                // this registration found nothing to resume, so the flag is checked here.
                let waiting = state.withLockedValue { state -> Bool in
                    guard !state.streamOver, !Task.isCancelled else { return false }
                    state.streamWaiters[id] = continuation
                    return true
                }
                if !waiting { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.streamWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// The transfer target the engine asked for, if any.
    public var requestedTransferTarget: String? { state.withLockedValue { $0.transferTarget } }

    /// Lets `transfer_call` redirect the live call (instead of hanging up): after the agent's
    /// line has played, the writer asks `plan` for the route and redirects the call with its
    /// TwiML before it closes the stream. Call before the conversation runs.
    public func enableTransfer(_ plan: TwilioTransferPlan) {
        state.withLockedValue { $0.transferPlan = plan }
    }

    /// What became of the engine's transfer: nil when none was requested; otherwise waits
    /// until the redirect was attempted (or the stream closed first).
    public func transferOutcome() async -> TwilioTransferOutcome? {
        await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { state -> TwilioTransferOutcome?? in
                guard state.transferTarget != nil else { return .some(nil) }
                switch state.transfer {
                case .done(let outcome): return .some(outcome)
                case .redirecting: break
                case .none:
                    if state.closed || state.transferPlan == nil {
                        let outcome = Self.unplannedOutcome(state)
                        state.transfer = .done(outcome)
                        return .some(outcome)
                    }
                }
                state.outcomeWaiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private static func unplannedOutcome(_ state: State) -> TwilioTransferOutcome {
        .failed(destination: nil, error: state.transferPlan == nil ? .notConfigured : .streamClosed)
    }

    private func settleTransfer(_ outcome: TwilioTransferOutcome) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<TwilioTransferOutcome?, Never>] in
            state.transfer = .done(outcome)
            defer { state.outcomeWaiters.removeAll() }
            return state.outcomeWaiters
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    /// The redirect of a requested transfer, if one is due (run by the writer before it closes).
    private func performTransfer() async {
        let pending = state.withLockedValue { state -> (TwilioTransferPlan, String)? in
            guard let target = state.transferTarget, let plan = state.transferPlan, case .none = state.transfer else { return nil }
            state.transfer = .redirecting
            return (plan, target)
        }
        guard let pending else { return }
        let (plan, target) = pending
        guard let route = plan.route(target) else {
            let error = TwilioTransferError.noRoute(requestedTarget: target)
            logger.warning("call transfer refused; hanging up", metadata: ["error": "\(error)"])
            return settleTransfer(.failed(destination: nil, error: error))
        }
        do {
            try await plan.control.redirect(callSid: plan.callSid, twiml: route.twiml)
            logger.info("call transferred", metadata: ["destination": "\(route.destination)"])
            settleTransfer(.transferred(destination: route.destination))
        } catch {
            let failure = TwilioTransferError.redirectFailed(String(String(describing: error).prefix(300)))
            logger.error("call transfer failed; hanging up", metadata: ["destination": "\(route.destination)", "error": "\(failure)"])
            settleTransfer(.failed(destination: route.destination, error: failure))
        }
    }

    /// Stops the writer and releases every backlog waiter (the socket is gone).
    public func close() {
        let (waiters, outcome, outcomeWaiters) = state.withLockedValue { state -> ([Waiter], TwilioTransferOutcome?, [CheckedContinuation<TwilioTransferOutcome?, Never>]) in
            state.closed = true
            defer { state.waiters.removeAll() }
            // A transfer still waiting for the writer will never be sent (a redirect in flight
            // settles itself).
            guard state.transferTarget != nil, case .none = state.transfer else { return (state.waiters, nil, []) }
            let outcome = Self.unplannedOutcome(state)
            state.transfer = .done(outcome)
            defer { state.outcomeWaiters.removeAll() }
            return (state.waiters, outcome, state.outcomeWaiters)
        }
        for waiter in waiters { waiter.continuation.resume() }
        if let outcome { for waiter in outcomeWaiters { waiter.resume(returning: outcome) } }
        wakeUp.yield()
        wakeUp.finish()
    }

    // MARK: Writer

    private enum WriterAction {
        case write(ByteBuffer)
        case sleep(until: Duration)
        case idle
        case hangUp
        case stop
    }

    /// The single writer loop: runs until the engine hangs up (then calls `close`) or the
    /// transport is closed. `write` sends one UTF-8 JSON text frame.
    public func runWriter(
        write: (ByteBuffer) async throws -> Void,
        close: () async throws -> Void
    ) async {
        var iterator = wakeUps.makeAsyncIterator()
        do {
            while true {
                let now = self.now
                let (action, resumed) = state.withLockedValue { state -> (WriterAction, [Waiter]) in
                    if state.closed { return (.stop, []) }
                    if !state.immediate.isEmpty { return (.write(state.immediate.removeFirst()), []) }
                    if state.hangUpRequested { return (.hangUp, []) }
                    let step = state.playback.next(now: now)
                    let resumed = Self.takeSatisfied(&state)
                    switch step {
                    case .send(let buffer): return (.write(buffer), resumed)
                    case .wait(let until): return (.sleep(until: until), resumed)
                    case .idle: return (.idle, resumed)
                    }
                }
                for waiter in resumed { waiter.continuation.resume() }
                switch action {
                case .write(let buffer):
                    let started = self.now
                    state.withLockedValue { $0.writingSince = started }
                    try await write(buffer)
                    state.withLockedValue { $0.writingSince = nil }
                case .sleep(let until):
                    try await Task.sleep(until: origin + until, clock: .continuous)
                case .idle:
                    guard await iterator.next() != nil else { return }
                case .hangUp:
                    // A transfer redirects the live call first: closing the stream before the
                    // redirect would end the call (nothing follows `<Connect>`).
                    await performTransfer()
                    if !isClosed {
                        logger.info("closing the media stream (agent hung up)")
                        try await close()
                    }
                    self.close()
                    return
                case .stop:
                    return
                }
            }
        } catch {
            if !(error is CancellationError) {
                logger.warning("media stream write failed", metadata: ["error": "\(error)"])
            }
            self.close()
        }
    }

    private static func takeSatisfied(_ state: inout State) -> [Waiter] {
        guard !state.waiters.isEmpty else { return [] }
        let queued = state.playback.pacer.queuedByteCount
        var resumed: [Waiter] = []
        state.waiters.removeAll { waiter in
            if queued < waiter.limitBytes {
                resumed.append(waiter)
                return true
            }
            return false
        }
        return resumed
    }
}
