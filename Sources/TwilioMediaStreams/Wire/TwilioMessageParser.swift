import Foundation
import NIOCore

/// Parses inbound Twilio Media Streams messages.
///
/// `media` messages (50 per second per call) take a validating fast path
/// (``FastMediaScanner``) that decodes the base64 payload straight into caller-provided
/// memory and allocates nothing. Anything that is not exactly that shape (the other events,
/// JSON escapes, unexpected keys, and every malformed input) goes to `JSONDecoder`, which
/// yields the same result or a typed ``TwilioMessageError``. Both paths agree on every input
/// (the tests check this on a fuzz corpus).
///
/// A value type with no per-message state: one per call, or shared.
public struct TwilioMessageParser: Sendable {
    /// Messages longer than this are rejected unparsed (``TwilioMessageError/messageTooLarge(byteCount:limit:)``).
    public var maximumMessageBytes: Int
    /// Decoded payloads longer than this are rejected (``TwilioMessageError/invalidPayloadLength(byteCount:maximum:)``).
    public var maximumPayloadBytes: Int
    /// When set, messages naming another stream are rejected (``TwilioMessageError/streamSidMismatch``).
    public private(set) var expectedStreamSid: String?
    private var expectedStreamSidBytes: [UInt8] = []

    /// Default ``maximumMessageBytes``: 64 KiB.
    public static let defaultMaximumMessageBytes = 64 * 1024
    /// Default ``maximumPayloadBytes``: 8000 bytes, one second of 8 kHz mu-law.
    public static let defaultMaximumPayloadBytes = 8000

    /// Creates a parser.
    public init(
        maximumMessageBytes: Int = TwilioMessageParser.defaultMaximumMessageBytes,
        maximumPayloadBytes: Int = TwilioMessageParser.defaultMaximumPayloadBytes
    ) {
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumPayloadBytes = maximumPayloadBytes
    }

    /// Sets (or with nil, clears) the stream id every later message must carry.
    public mutating func expectStreamSid(_ streamSid: String?) {
        expectedStreamSid = streamSid
        expectedStreamSidBytes = streamSid.map { Array($0.utf8) } ?? []
    }

    /// Parses one message held in `buffer`'s readable bytes. See ``parse(_:payloadInto:)-(UnsafeRawBufferPointer,_)``.
    public func parse(
        _ buffer: ByteBuffer,
        payloadInto payload: UnsafeMutableBufferPointer<UInt8>
    ) throws(TwilioMessageError) -> TwilioParsedMessage {
        let result = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(TwilioMessageError) in try parse(bytes, payloadInto: payload) }
        }
        return try result.get()
    }

    /// Parses one message given as a string. See ``parse(_:payloadInto:)-(UnsafeRawBufferPointer,_)``.
    public func parse(
        _ text: String,
        payloadInto payload: UnsafeMutableBufferPointer<UInt8>
    ) throws(TwilioMessageError) -> TwilioParsedMessage {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(TwilioMessageError) in try parse(UnsafeRawBufferPointer(bytes), payloadInto: payload) }
        }
        return try result.get()
    }

    /// Parses one WebSocket text message (UTF-8 JSON).
    ///
    /// For `media`, the decoded mu-law bytes are written to the start of `payload`, and the
    /// returned frame says how many. Size the buffer for ``maximumPayloadBytes``.
    /// - Throws: ``TwilioMessageError`` describing what is wrong with the message.
    public func parse(
        _ message: UnsafeRawBufferPointer,
        payloadInto payload: UnsafeMutableBufferPointer<UInt8>
    ) throws(TwilioMessageError) -> TwilioParsedMessage {
        guard message.count <= maximumMessageBytes else {
            throw .messageTooLarge(byteCount: message.count, limit: maximumMessageBytes)
        }
        if let fields = FastMediaScanner.scan(message), let frame = try fastMedia(fields, message, payload) {
            return .media(frame)
        }
        return try parseWithFoundation(message, payloadInto: payload)
    }

    /// The fast path's second half: converts the scanned ranges, or returns nil when a value
    /// needs the general path to produce the right error.
    private func fastMedia(
        _ f: FastMediaScanner.Fields,
        _ message: UnsafeRawBufferPointer,
        _ payload: UnsafeMutableBufferPointer<UInt8>
    ) throws(TwilioMessageError) -> TwilioMediaFrame? {
        guard let event = f.event, let seqRange = f.sequenceNumber, let sidRange = f.streamSid,
              f.sawMedia, let trackRange = f.track, let chunkRange = f.chunk,
              let timestampRange = f.timestamp, let payloadRange = f.payload
        else { return nil }
        let eventBytes = UnsafeRawBufferPointer(rebasing: message[event])
        guard eventBytes.elementsEqual("media".utf8) else { return nil }
        guard let sequenceNumber = DecimalString.parse(UnsafeRawBufferPointer(rebasing: message[seqRange])),
              let chunk = DecimalString.parse(UnsafeRawBufferPointer(rebasing: message[chunkRange])),
              let timestamp = DecimalString.parse(UnsafeRawBufferPointer(rebasing: message[timestampRange]))
        else { return nil }
        let trackBytes = UnsafeRawBufferPointer(rebasing: message[trackRange])
        let track: TwilioTrack
        if trackBytes.elementsEqual("inbound".utf8) {
            track = .inbound
        } else if trackBytes.elementsEqual("outbound".utf8) {
            track = .outbound
        } else {
            return nil
        }
        try checkStreamSid(UnsafeRawBufferPointer(rebasing: message[sidRange]))
        let count = try decodePayload(UnsafeRawBufferPointer(rebasing: message[payloadRange]), into: payload)
        return TwilioMediaFrame(
            sequenceNumber: sequenceNumber, chunk: chunk, timestamp: timestamp, track: track, payloadByteCount: count)
    }

    private func checkStreamSid(_ sid: UnsafeRawBufferPointer) throws(TwilioMessageError) {
        guard expectedStreamSid != nil else { return }
        guard sid.elementsEqual(expectedStreamSidBytes) else { throw .streamSidMismatch }
    }

    private func checkStreamSid(_ sid: String) throws(TwilioMessageError) {
        guard let expectedStreamSid else { return }
        guard sid == expectedStreamSid else { throw .streamSidMismatch }
    }

    private func decodePayload(
        _ text: UnsafeRawBufferPointer,
        into payload: UnsafeMutableBufferPointer<UInt8>
    ) throws(TwilioMessageError) -> Int {
        guard let count = Base64Codec.decodedCount(text) else { throw .invalidBase64(payloadLength: text.count) }
        guard count > 0, count <= maximumPayloadBytes else {
            throw .invalidPayloadLength(byteCount: count, maximum: maximumPayloadBytes)
        }
        guard count <= payload.count else { throw .payloadBufferTooSmall(required: count, available: payload.count) }
        guard let written = Base64Codec.decode(text, into: payload) else { throw .invalidBase64(payloadLength: text.count) }
        return written
    }

    // MARK: - General path

    private struct EventHeader: Decodable {
        var event: String?
    }

    /// Parses with `JSONDecoder`: every event, and every malformed input. Internal so the
    /// tests can compare it with the fast path.
    func parseWithFoundation(
        _ message: UnsafeRawBufferPointer,
        payloadInto payload: UnsafeMutableBufferPointer<UInt8>
    ) throws(TwilioMessageError) -> TwilioParsedMessage {
        guard message.count <= maximumMessageBytes else {
            throw .messageTooLarge(byteCount: message.count, limit: maximumMessageBytes)
        }
        let data = Data(message)
        let decoder = JSONDecoder()
        let header = try decode(EventHeader.self, from: data, decoder: decoder, event: nil)
        guard let name = header.event else { throw .missingField(event: nil, field: "event") }
        guard let kind = TwilioEventKind(rawValue: name), kind != .clear else {
            throw .unknownEvent(String(name.prefix(64)))
        }
        switch kind {
        case .connected:
            return .connected(try decode(TwilioConnectedMessage.self, from: data, decoder: decoder, event: kind))
        case .start:
            let m = try decode(TwilioStartMessage.self, from: data, decoder: decoder, event: kind)
            try requireDecimal(m.sequenceNumber, event: kind, field: "sequenceNumber")
            try Self.checkIdentifiers(m)
            return .start(m)
        case .media:
            let m = try decode(TwilioMediaMessage.self, from: data, decoder: decoder, event: kind)
            return .media(try mediaFrame(m, payloadInto: payload))
        case .mark:
            let m = try decode(TwilioMarkMessage.self, from: data, decoder: decoder, event: kind)
            try requireDecimal(m.sequenceNumber, event: kind, field: "sequenceNumber")
            try checkStreamSid(m.streamSid)
            return .mark(m)
        case .dtmf:
            let m = try decode(TwilioDTMFMessage.self, from: data, decoder: decoder, event: kind)
            try requireDecimal(m.sequenceNumber, event: kind, field: "sequenceNumber")
            guard Self.isDTMFDigit(m.dtmf.digit) else {
                throw .invalidField(event: kind, field: "dtmf.digit", reason: "not a DTMF key")
            }
            try checkStreamSid(m.streamSid)
            return .dtmf(m)
        case .stop:
            let m = try decode(TwilioStopMessage.self, from: data, decoder: decoder, event: kind)
            try requireDecimal(m.sequenceNumber, event: kind, field: "sequenceNumber")
            try checkStreamSid(m.streamSid)
            return .stop(m)
        case .clear:
            throw .unknownEvent(name)
        }
    }

    private func mediaFrame(
        _ m: TwilioMediaMessage,
        payloadInto payload: UnsafeMutableBufferPointer<UInt8>
    ) throws(TwilioMessageError) -> TwilioMediaFrame {
        guard let sequenceNumber = DecimalString.parse(m.sequenceNumber) else {
            throw .invalidField(event: .media, field: "sequenceNumber", reason: "not a decimal string")
        }
        guard let chunk = DecimalString.parse(m.media.chunk) else {
            throw .invalidField(event: .media, field: "media.chunk", reason: "not a decimal string")
        }
        guard let timestamp = DecimalString.parse(m.media.timestamp) else {
            throw .invalidField(event: .media, field: "media.timestamp", reason: "not a decimal string")
        }
        guard let track = TwilioTrack(rawValue: m.media.track) else {
            throw .invalidField(event: .media, field: "media.track", reason: "not inbound or outbound")
        }
        try checkStreamSid(m.streamSid)
        var text = m.media.payload
        let result = text.withUTF8 { bytes in
            Result { () throws(TwilioMessageError) in try decodePayload(UnsafeRawBufferPointer(bytes), into: payload) }
        }
        let count = try result.get()
        return TwilioMediaFrame(
            sequenceNumber: sequenceNumber, chunk: chunk, timestamp: timestamp, track: track, payloadByteCount: count)
    }

    private func requireDecimal(_ text: String?, event: TwilioEventKind, field: String) throws(TwilioMessageError) {
        guard let text else { return }
        guard DecimalString.parse(text) != nil else {
            throw .invalidField(event: event, field: field, reason: "not a decimal string")
        }
    }

    /// `start` carries the ids a call is known by (logs, results, storage names): each must
    /// have Twilio's shape, and the stream id must be the same at both levels.
    static func checkIdentifiers(_ m: TwilioStartMessage) throws(TwilioMessageError) {
        let checks: [(String, String, TwilioSID.Kind)] = [
            ("streamSid", m.streamSid, .stream), ("start.streamSid", m.start.streamSid, .stream),
            ("start.callSid", m.start.callSid, .call), ("start.accountSid", m.start.accountSid, .account),
        ]
        for (field, value, kind) in checks where !TwilioSID.isValid(value, kind: kind) {
            throw .invalidField(event: .start, field: field, reason: "not \(kind.rawValue) followed by 32 hex digits")
        }
        guard m.streamSid == m.start.streamSid else {
            throw .invalidField(event: .start, field: "start.streamSid", reason: "differs from streamSid")
        }
    }

    static func isDTMFDigit(_ digit: String) -> Bool {
        guard digit.utf8.count == 1, let c = digit.utf8.first else { return false }
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "*"), UInt8(ascii: "#"),
            UInt8(ascii: "A")...UInt8(ascii: "D"):
            return true
        default:
            return false
        }
    }

    private func decode<T: Decodable>(
        _ type: T.Type,
        from data: Data,
        decoder: JSONDecoder,
        event: TwilioEventKind?
    ) throws(TwilioMessageError) -> T {
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw Self.map(error, event: event)
        } catch {
            throw .malformedJSON(reason: String(describing: error).prefix(200).description)
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func map(_ error: DecodingError, event: TwilioEventKind?) -> TwilioMessageError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(event: event, field: path(context.codingPath + [key]))
        case .valueNotFound(_, let context):
            return .invalidField(event: event, field: path(context.codingPath), reason: "null")
        case .typeMismatch(_, let context):
            if context.codingPath.isEmpty { return .malformedJSON(reason: "not a JSON object") }
            return .invalidField(event: event, field: path(context.codingPath), reason: "wrong JSON type")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .malformedJSON(reason: String(context.debugDescription.prefix(200)))
            }
            return .invalidField(event: event, field: path(context.codingPath), reason: "invalid value")
        @unknown default:
            return .malformedJSON(reason: "undecodable")
        }
    }
}
