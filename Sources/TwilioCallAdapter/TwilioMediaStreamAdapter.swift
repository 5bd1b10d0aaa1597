import CallAudio
import CallEngine
import Logging
import NIOCore
import Synchronization
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

        /// Creates a configuration (default: `start` within 5 s).
        public init(
            session: TwilioStreamSessionConfiguration = .init(), pacing: OutboundPacer.Configuration = .init(),
            startTimeout: Duration = .seconds(5)
        ) {
            self.session = session
            self.pacing = pacing
            self.startTimeout = startTimeout
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
    }

    /// The configuration in force.
    public let configuration: Configuration
    private let logger: Logger

    /// Creates an adapter. `logger` gets `call_sid` once `start` arrives.
    public init(configuration: Configuration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Handles the stream until it ends and the call's handler has finished.
    public func run<Messages: AsyncSequence & Sendable>(
        messages: Messages, writer: some TwilioWireWriter, handler: some TwilioCallHandler
    ) async -> Outcome where Messages.Element == ByteBuffer {
        let started = StartLatch()
        return await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                await self.stream(messages: messages, writer: writer, handler: handler, started: started)
            }
            group.addTask {
                do { try await Task.sleep(for: self.configuration.startTimeout) } catch { return nil }
                guard started.expire() else { return nil }
                return .startTimeout
            }
            // The first to finish decides: the stream's end, or the start deadline.
            var outcome: Outcome?
            while let next = await group.next() {
                guard let next, outcome == nil else { continue }
                outcome = next
                if next == .startTimeout {
                    logger.warning("no start message within the deadline; closing the media stream", metadata: [
                        "timeout_s": "\(configuration.startTimeout.components.seconds)",
                    ])
                    try? await writer.close(reason: .policyViolation)
                }
                group.cancelAll()
            }
            return outcome ?? .disconnected
        }
    }

    private func stream<Messages: AsyncSequence & Sendable>(
        messages: Messages, writer: some TwilioWireWriter, handler: some TwilioCallHandler, started: StartLatch
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
            do {
                messages: for try await message in messages {
                    switch session.receive(message, payloadInto: payload) {
                    case .connected:
                        break
                    case .started(let start):
                        guard started.start() else { break messages }
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
                        group.addTask {
                            await transport.runWriter(
                                write: { buffer in try await writer.write(buffer) },
                                close: { try await writer.close(reason: .normal) }
                            )
                        }
                        group.addTask { await handler.run(conversation, start: start) }
                    case .media(let media):
                        guard let call else { continue messages }
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

/// Whether `start` arrived, or its deadline passed first (exactly one wins).
private final class StartLatch: Sendable {
    private enum Value { case waiting, started, expired }
    private let value = Mutex(Value.waiting)

    /// `start` arrived: true unless the deadline already passed.
    func start() -> Bool {
        value.withLock { value in
            guard value == .waiting else { return false }
            value = .started
            return true
        }
    }

    /// The deadline passed: true when no `start` came.
    func expire() -> Bool {
        value.withLock { value in
            guard value == .waiting else { return false }
            value = .expired
            return true
        }
    }
}
