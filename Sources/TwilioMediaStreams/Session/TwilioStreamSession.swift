import Logging
import Metrics
import NIOCore

/// The inbound half of one Twilio media stream: parses each WebSocket text message,
/// enforces the lifecycle (`connected` → `start` → media/mark/dtmf → `stop`) and the
/// `sequenceNumber` order, and turns every problem into a typed rejection with a defined
/// outcome, a counter and a log line carrying `call_sid`.
///
/// The `media` path does not allocate: the payload is decoded into the caller's buffer and
/// nothing is logged or counted in a dictionary unless something is wrong.
///
/// Not `Sendable`: one session belongs to one call's task.
public struct TwilioStreamSession {
    /// The limits in force.
    public let configuration: TwilioStreamSessionConfiguration
    /// Where the stream is in its lifecycle.
    public private(set) var state: TwilioStreamState = .awaitingConnected
    /// What has been received and rejected so far.
    public private(set) var counters = TwilioStreamCounters()
    /// The `start` message, once received.
    public private(set) var startMessage: TwilioStartMessage?
    /// The highest accepted `sequenceNumber`.
    public private(set) var lastSequenceNumber: UInt64?
    /// The latest accepted inbound `media.timestamp` (ms): the caller-audio clock.
    public private(set) var latestMediaTimestamp: UInt64?

    private var parser: TwilioMessageParser
    private var logger: Logger
    private var consecutiveErrors = 0
    private var totalErrors = 0

    /// Creates a session for a newly upgraded WebSocket.
    /// - Parameter logger: gets `call_sid` and `stream_sid` metadata once `start` arrives.
    public init(configuration: TwilioStreamSessionConfiguration = .init(), logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.parser = TwilioMessageParser(
            maximumMessageBytes: configuration.maximumMessageBytes,
            maximumPayloadBytes: configuration.maximumPayloadBytes)
    }

    /// The call id from `start`, if received.
    public var callSid: String? { startMessage?.start.callSid }
    /// The stream id from `start`, if received.
    public var streamSid: String? { startMessage?.streamSid }

    /// Handles one message held in `buffer`'s readable bytes.
    public mutating func receive(_ buffer: ByteBuffer, payloadInto payload: UnsafeMutableBufferPointer<UInt8>) -> TwilioStreamEvent {
        buffer.withUnsafeReadableBytes { receive($0, payloadInto: payload) }
    }

    /// Handles one message given as a string.
    public mutating func receive(_ text: String, payloadInto payload: UnsafeMutableBufferPointer<UInt8>) -> TwilioStreamEvent {
        var text = text
        return text.withUTF8 { receive(UnsafeRawBufferPointer($0), payloadInto: payload) }
    }

    /// Handles one WebSocket text message.
    ///
    /// - Parameter payload: receives a `media` message's mu-law bytes; size it for
    ///   ``TwilioStreamSessionConfiguration/maximumPayloadBytes``.
    /// - Returns: what the message meant, or a rejection with its outcome. After a rejection
    ///   with ``TwilioErrorOutcome/endCall`` the caller should end the call; the session
    ///   rejects every later message.
    public mutating func receive(
        _ message: UnsafeRawBufferPointer,
        payloadInto payload: UnsafeMutableBufferPointer<UInt8>
    ) -> TwilioStreamEvent {
        counters.messages += 1
        if state == .failed { return reject(.sessionEnded) }
        let parsed: TwilioParsedMessage
        do {
            parsed = try parser.parse(message, payloadInto: payload)
        } catch {
            return reject(.message(error))
        }
        switch parsed {
        case .media(let frame):
            // The hot path: no allocation, no logging unless something is wrong.
            guard case .started = state else {
                return reject(state == .stopped ? .messageAfterStop(.media) : .mediaBeforeStart)
            }
            if let error = checkSequence(frame.sequenceNumber) { return reject(error) }
            consecutiveErrors = 0
            counters.mediaFrames += 1
            counters.mediaBytes += frame.payloadByteCount
            latestMediaTimestamp = frame.timestamp
            return .media(frame)
        case .connected(let message):
            guard state == .awaitingConnected else { return reject(.unexpectedConnected) }
            state = .connected
            accepted()
            logger.debug("Twilio stream connected", metadata: ["protocol": "\(message.protocolName)", "version": "\(message.version)"])
            return .connected(message)
        case .start(let message):
            switch state {
            case .started: return reject(.duplicateStart)
            case .stopped: return reject(.messageAfterStop(.start))
            default: break
            }
            let format = message.start.mediaFormat
            guard format.encoding == "audio/x-mulaw", format.sampleRate == 8000, format.channels == 1 else {
                return reject(.unsupportedMediaFormat(format))
            }
            if let seq = DecimalString.parse(message.sequenceNumber), let error = checkSequence(seq) {
                return reject(error)
            }
            startMessage = message
            state = .started(callSid: message.start.callSid, streamSid: message.streamSid)
            parser.expectStreamSid(message.streamSid)
            logger[metadataKey: "call_sid"] = "\(message.start.callSid)"
            logger[metadataKey: "stream_sid"] = "\(message.streamSid)"
            accepted()
            logger.info("Twilio stream started", metadata: ["tracks": "\(message.start.tracks.joined(separator: ","))"])
            return .started(message)
        case .mark(let message):
            if let error = checkStarted(.mark) { return reject(error) }
            if let text = message.sequenceNumber, let seq = DecimalString.parse(text), let error = checkSequence(seq) {
                return reject(error)
            }
            accepted()
            counters.marksEchoed += 1
            return .markEchoed(name: message.mark.name)
        case .dtmf(let message):
            if let error = checkStarted(.dtmf) { return reject(error) }
            if let seq = DecimalString.parse(message.sequenceNumber), let error = checkSequence(seq) {
                return reject(error)
            }
            accepted()
            counters.dtmfDigits += 1
            logger.debug("Twilio DTMF", metadata: ["digit": "\(message.dtmf.digit)"])
            return .dtmf(digit: message.dtmf.digit)
        case .stop(let message):
            if state == .stopped { return reject(.messageAfterStop(.stop)) }
            if let seq = DecimalString.parse(message.sequenceNumber), let error = checkSequence(seq) {
                return reject(error)
            }
            state = .stopped
            accepted()
            logger.info("Twilio stream stopped", metadata: [
                "media_frames": "\(counters.mediaFrames)", "rejected": "\(totalErrors)",
            ])
            return .stopped(message)
        }
    }

    private func checkStarted(_ kind: TwilioEventKind) -> TwilioStreamError? {
        switch state {
        case .started: nil
        case .stopped: .messageAfterStop(kind)
        default: .eventBeforeStart(kind)
        }
    }

    /// Validates `seq` against the last accepted number and records it when accepted.
    private mutating func checkSequence(_ seq: UInt64) -> TwilioStreamError? {
        guard let last = lastSequenceNumber else {
            lastSequenceNumber = seq
            return nil
        }
        if seq == last { return .duplicateSequenceNumber(seq) }
        if seq < last { return .outOfOrderSequenceNumber(received: seq, last: last) }
        if seq != last &+ 1 {
            counters.sequenceGaps += 1
            counters.missingMessages += seq - last - 1
            logger.warning("Twilio sequenceNumber gap", metadata: ["last": "\(last)", "received": "\(seq)"])
        }
        lastSequenceNumber = seq
        return nil
    }

    private mutating func accepted() {
        consecutiveErrors = 0
    }

    private mutating func reject(_ error: TwilioStreamError) -> TwilioStreamEvent {
        var outcome = error.defaultOutcome
        if error != .sessionEnded {
            consecutiveErrors += 1
            totalErrors += 1
            if outcome == .skipFrame,
               consecutiveErrors >= configuration.maximumConsecutiveErrors
                || totalErrors >= configuration.maximumTotalErrors
            {
                outcome = .endCall
                logger.error("Twilio stream error budget exhausted; ending the call", metadata: [
                    "consecutive_errors": "\(consecutiveErrors)", "total_errors": "\(totalErrors)",
                ])
            }
        }
        counters.errorsByKind[error.label, default: 0] += 1
        switch outcome {
        case .skipFrame:
            counters.skippedMessages += 1
            logger.warning("Rejected Twilio message", metadata: [
                "error": "\(error.label)", "detail": "\(error)", "outcome": "\(outcome.rawValue)",
            ])
        case .endCall:
            counters.endCallErrors += 1
            if state != .failed {
                logger.error("Rejected Twilio message; ending the call", metadata: [
                    "error": "\(error.label)", "detail": "\(error)", "outcome": "\(outcome.rawValue)",
                ])
            }
            state = .failed
        }
        Counter(label: "twilio_stream_rejected_messages_total", dimensions: [
            ("error", error.label), ("outcome", outcome.rawValue),
        ]).increment()
        return .rejected(error, outcome: outcome)
    }
}
