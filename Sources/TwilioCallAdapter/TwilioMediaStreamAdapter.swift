import CallAudio
import CallEngine
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import TwilioMediaStreams

/// Runs one Twilio media stream against the call engine: Twilio's messages in, engine events
/// out; engine commands in, Twilio's messages out. The codec lives here: caller mu-law is
/// decoded (and resampled) into the engine's PCM16 frames, agent PCM16 is encoded by
/// ``TwilioCallTransport``.
///
/// The adapter knows nothing of HTTP servers: it takes an `AsyncSequence` of complete
/// inbound text messages and a ``TwilioWireWriter``, and asks a ``TwilioCallHandler`` for
/// the conversation when `start` arrives. A stream that sends no `start` within
/// ``Configuration/startTimeout`` is closed, so it cannot hold a call slot.
public struct TwilioMediaStreamAdapter: Sendable {
    /// Limits and deadlines.
    public struct Configuration: Sendable {
        /// Message limits and error policy of the inbound session.
        public var session: TwilioStreamSessionConfiguration
        /// Outbound pacing.
        public var pacing: OutboundPacer.Configuration
        /// Longest wait for `start` after the upgrade.
        public var startTimeout: Duration
        /// Longest a single outbound write may stay pending (a peer that stops reading).
        public var writeTimeout: Duration
        /// Pacing of caller media (each stream starts with a copy): frames beyond real time
        /// plus its slack are dropped and counted.
        public var mediaBudget: InboundMediaBudget

        /// Creates a configuration (default: `start` within 5 s, writes done within 5 s,
        /// caller media at real time with 1 s of slack).
        public init(
            session: TwilioStreamSessionConfiguration = .init(), pacing: OutboundPacer.Configuration = .telephony,
            startTimeout: Duration = .seconds(5), writeTimeout: Duration = .seconds(5),
            mediaBudget: InboundMediaBudget = .init()
        ) {
            self.session = session
            self.pacing = pacing
            self.startTimeout = startTimeout
            self.writeTimeout = writeTimeout
            self.mediaBudget = mediaBudget
        }
    }

    /// How a stream ended.
    public enum Outcome: Sendable, Equatable {
        /// The carrier sent `stop`.
        case stopped
        /// The socket closed without `stop`.
        case disconnected
        /// A malformed stream ended the call.
        case malformed
        /// No `start` arrived in time.
        case startTimeout
        /// The handler refused the call (for example a bad stream token).
        case refused
        /// The peer stopped reading: a write stayed pending past the write timeout, or no mark
        /// was echoed for that long after its audio finished playing.
        case writeTimeout
    }

    /// The configuration in force.
    public let configuration: Configuration
    private let logger: Logger
    /// Caller media frames dropped by the budget, over all streams.
    private static let droppedFrames = Counter(label: "media_frames_dropped_total")

    /// Creates an adapter. `logger` gets `call_sid` once `start` arrives.
    public init(configuration: Configuration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Handles the stream until it ends and the call's handler has finished.
    public func run<Messages: AsyncSequence & Sendable>(
        messages: Messages, writer: some TwilioWireWriter, handler: some TwilioCallHandler
    ) async -> Outcome where Messages.Element == ByteBuffer {
        let link = StreamLink()
        return await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                await self.stream(messages: messages, writer: writer, handler: handler, link: link)
            }
            group.addTask { await self.watch(link) }
            // The first to finish decides: the stream's end, or a deadline.
            var outcome: Outcome?
            while let next = await group.next() {
                guard let next, outcome == nil else { continue }
                outcome = next
                switch next {
                case .startTimeout:
                    logger.warning("no start message within the deadline; closing the media stream", metadata: [
                        "timeout_s": "\(configuration.startTimeout.components.seconds)",
                    ])
                    try? await writer.close(reason: .policyViolation)
                case .writeTimeout:
                    logger.warning("the peer stopped reading; the call ended and the stream is dropped", metadata: [
                        "timeout_s": "\(configuration.writeTimeout.components.seconds)",
                    ])
                default:
                    break
                }
                // Ends the read loop and the writer (a write stuck on a peer that does not read).
                group.cancelAll()
            }
            return outcome ?? .disconnected
        }
    }

    /// The deadlines that do not depend on the peer: `start` in time, then writes that complete.
    private func watch(_ link: StreamLink) async -> Outcome? {
        let origin = ContinuousClock.now
        while true {
            let tick = min(link.call == nil ? configuration.startTimeout : configuration.writeTimeout, .seconds(1))
            do { try await Task.sleep(for: tick) } catch { return nil }
            if let call = link.call {
                guard call.transport.writeStalled(longerThan: configuration.writeTimeout)
                    || call.transport.marksUnechoed(longerThan: configuration.writeTimeout) else { continue }
                await call.conversation.endNow(reason: .writeTimeout)
                call.transport.close()
                return .writeTimeout
            }
            if ContinuousClock.now - origin >= configuration.startTimeout, link.expire() { return .startTimeout }
        }
    }

    private func stream<Messages: AsyncSequence & Sendable>(
        messages: Messages, writer: some TwilioWireWriter, handler: some TwilioCallHandler, link: StreamLink
    ) async -> Outcome where Messages.Element == ByteBuffer {
        var logger = self.logger
        var session = TwilioStreamSession(configuration: configuration.session, logger: logger)
        let payload = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(configuration.session.maximumPayloadBytes, 160))
        payload.initialize(repeating: 0)
        defer { payload.deallocate() }

        return await withTaskGroup(of: Void.self) { group in
            var call: (conversation: CallConversation, transport: TwilioCallTransport, inbound: InboundAudioConverter)?
            var outcome = Outcome.disconnected
            var frames: [AudioFrame] = []
            frames.reserveCapacity(8)
            var budget = configuration.mediaBudget
            let origin = ContinuousClock.now
            do {
                messages: for try await message in messages {
                    switch session.receive(message, payloadInto: payload) {
                    case .connected:
                        break
                    case .started(let start):
                        guard link.begin() else { break messages }
                        logger[metadataKey: "call_sid"] = "\(start.start.callSid)"
                        let transport = TwilioCallTransport(streamSid: start.streamSid, pacing: configuration.pacing, logger: logger)
                        guard let conversation = await handler.conversation(for: start, transport: transport) else {
                            outcome = .refused
                            transport.close()
                            break messages
                        }
                        let inbound: InboundAudioConverter
                        do {
                            inbound = try InboundAudioConverter(outputRate: conversation.inputFormat.sampleRate)
                        } catch {
                            logger.error("cannot convert caller audio to the engine's format", metadata: ["error": "\(error)"])
                            await conversation.endNow(reason: .transportError)
                            outcome = .malformed
                            break messages
                        }
                        call = (conversation, transport, inbound)
                        link.attach(conversation: conversation, transport: transport)
                        group.addTask {
                            await transport.runWriter(
                                write: { buffer in try await writer.write(buffer) },
                                close: { try await writer.close(reason: .normal) }
                            )
                        }
                        group.addTask { await handler.run(conversation, start: start) }
                    case .media(let media):
                        guard let call else { continue messages }
                        let now = ContinuousClock.now - origin
                        guard budget.admit(payloadByteCount: media.payloadByteCount, at: now) else {
                            Self.droppedFrames.increment()
                            if let dropped = budget.logLineDue(at: now) {
                                logger.warning("caller media faster than real time; frames dropped", metadata: [
                                    "dropped": "\(dropped)", "dropped_total": "\(budget.droppedFrames)",
                                ])
                            }
                            continue messages
                        }
                        if budget.unreportedDrops > 0 {
                            await call.conversation.mediaFramesDropped(budget.takeUnreportedDrops())
                        }
                        frames.removeAll(keepingCapacity: true)
                        do throws(AudioError) {
                            let rate = call.conversation.inputFormat.sampleRate
                            try call.inbound.process(UnsafeBufferPointer(rebasing: payload[0..<media.payloadByteCount])) { samples throws(AudioError) in
                                frames.append(try AudioFrame(samples, sampleRate: rate))
                            }
                        } catch {
                            logger.warning("dropping caller audio", metadata: ["error": "\(error)"])
                            continue messages
                        }
                        for frame in frames { await call.conversation.handle(.audio(frame)) }
                    case .markEchoed(let name):
                        if let event = call?.transport.markEchoed(name: name) {
                            await call?.conversation.handle(event)
                        } else {
                            logger.debug("ignoring echo of an unknown mark", metadata: ["mark": "\(name)"])
                        }
                    case .dtmf(let digit):
                        await call?.conversation.handle(.dtmf(digit: digit))
                    case .stopped:
                        outcome = .stopped
                        if budget.unreportedDrops > 0 { await call?.conversation.mediaFramesDropped(budget.takeUnreportedDrops()) }
                        await call?.conversation.handle(.hangUp)
                        break messages
                    case .rejected(let error, let policy):
                        handler.rejected(error)
                        if policy == .endCall {
                            outcome = .malformed
                            break messages
                        }
                    }
                }
            } catch {
                logger.warning("media stream socket error", metadata: ["error": "\(error)"])
            }

            if let call {
                if budget.unreportedDrops > 0 { await call.conversation.mediaFramesDropped(budget.takeUnreportedDrops()) }
                switch outcome {
                case .malformed:
                    await call.conversation.endNow(reason: .transportError)
                case .disconnected:
                    if await call.conversation.currentPhase != .ended {
                        logger.warning("media stream closed without stop; ending the call")
                        await call.conversation.endNow(reason: .transportError)
                    }
                default:
                    break
                }
            } else if outcome != .refused {
                logger.warning("media stream ended before a call started", metadata: ["outcome": "\(outcome)"])
            }
            if outcome == .malformed {
                try? await writer.close(reason: .policyViolation)
            }
            // The carrier's side is over (stop, its close, our policy close, a socket error):
            // the call's fleet slot may be freed now.
            call?.transport.streamEnded()
            // Let the writer finish a pending hang-up; once the call's run has returned (result
            // delivered), the writer is released too.
            if let call, outcome != .disconnected { call.transport.close() }
            while await group.next() != nil {
                call?.transport.close()
            }
            return outcome
        }
    }
}

/// What the watchdog sees of a stream: whether `start` came in time (exactly one of `start`
/// and the deadline wins), then the call's conversation and transport.
private final class StreamLink: Sendable {
    private enum Value {
        case waiting
        case starting
        case started(conversation: CallConversation, transport: TwilioCallTransport)
        case expired
    }
    private let value = NIOLockedValueBox(Value.waiting)

    /// `start` arrived: true unless the deadline already passed.
    func begin() -> Bool {
        value.withLockedValue { value in
            guard case .waiting = value else { return false }
            value = .starting
            return true
        }
    }

    /// The call is running.
    func attach(conversation: CallConversation, transport: TwilioCallTransport) {
        value.withLockedValue { $0 = .started(conversation: conversation, transport: transport) }
    }

    /// The running call, if any.
    var call: (conversation: CallConversation, transport: TwilioCallTransport)? {
        value.withLockedValue { value in
            if case .started(let conversation, let transport) = value { return (conversation, transport) }
            return nil
        }
    }

    /// The deadline passed: true when no `start` came.
    func expire() -> Bool {
        value.withLockedValue { value in
            guard case .waiting = value else { return false }
            value = .expired
            return true
        }
    }
}
