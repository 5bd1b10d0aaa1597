import CallAudio
import Foundation
import TwilioMediaStreams

/// The Twilio side of a bidirectional Media Stream, without a transport: it produces the
/// exact messages a Twilio caller sends and models how Twilio plays the server's audio.
///
/// Caller → server: ``connectedMessage()``, ``startMessage()``, ``mediaMessage(_:)`` (call it
/// every 20 ms; `chunk`, `timestamp` and `sequenceNumber` advance like Twilio's), ``dtmfMessage(digit:)``,
/// ``stopMessage()``. Every message after `connected` takes the next `sequenceNumber`,
/// including mark echoes.
///
/// Server → caller: ``receive(_:at:)`` queues `media` audio for playback at 8 bytes per
/// millisecond from the moment it arrives, and answers `mark` and `clear` the way Twilio
/// does: a mark echoes when all audio queued before it has played (at once if nothing is
/// queued); `clear` drops queued audio and echoes every pending mark at once.
/// ``advance(to:)`` moves time forward and returns the echoes that fell due.
///
/// Time is a `Duration` since any origin (a virtual clock in tests, `clock.now - start` live).
public struct TwilioCallerSimulator: Sendable {
    /// Identity and parameters of the simulated call.
    public struct Configuration: Sendable, Hashable {
        /// `AC…`.
        public var accountSid: String
        /// `CA…`.
        public var callSid: String
        /// `MZ…`.
        public var streamSid: String
        /// `start.customParameters`.
        public var customParameters: [String: String]
        /// Keep the bytes the caller heard in ``TwilioCallerSimulator/playedAudio``.
        public var recordsPlayedAudio: Bool
        /// When recording, also record mu-law silence while nothing plays, so
        /// ``TwilioCallerSimulator/playedAudio`` runs on the call's timeline (for a WAV).
        public var recordsIdleAsSilence: Bool

        /// Creates a configuration.
        public init(
            accountSid: String = "AC00000000000000000000000000000000",
            callSid: String = "CA00000000000000000000000000000000",
            streamSid: String = "MZ00000000000000000000000000000000",
            customParameters: [String: String] = [:],
            recordsPlayedAudio: Bool = true,
            recordsIdleAsSilence: Bool = false
        ) {
            self.accountSid = accountSid
            self.callSid = callSid
            self.streamSid = streamSid
            self.customParameters = customParameters
            self.recordsPlayedAudio = recordsPlayedAudio
            self.recordsIdleAsSilence = recordsIdleAsSilence
        }
    }

    /// A mark echo the simulator produced.
    public struct Echo: Sendable, Hashable {
        /// The mark's name.
        public var name: String
        /// True when a `clear` flushed the audio before it; false when it played.
        public var flushed: Bool
        /// Simulator time of the echo.
        public var time: Duration
    }

    /// The configuration.
    public let configuration: Configuration
    /// The last `sequenceNumber` used.
    public private(set) var sequenceNumber: UInt64 = 0
    /// The last `media.chunk` used.
    public private(set) var chunk: UInt64 = 0
    /// Caller audio bytes sent so far (`media.timestamp` = this / 8).
    public private(set) var sentAudioByteCount = 0
    /// The server audio the caller heard, in order (when recording).
    public private(set) var playedAudio: [UInt8] = []
    /// Bytes of server audio played.
    public private(set) var playedByteCount = 0
    /// Bytes of server audio dropped by `clear`.
    public private(set) var flushedByteCount = 0
    /// Server messages received, by kind.
    public private(set) var mediaMessagesReceived = 0
    /// `clear` messages received.
    public private(set) var clearsReceived = 0
    /// Every mark echo produced, in order.
    public private(set) var echoes: [Echo] = []

    private var queued: [UInt8] = []
    private var queuedHead = 0
    private var pendingMarks: [(position: Int, name: String)] = []
    /// Total bytes ever queued (minus cleared): positions of marks are in this space.
    private var queuedEnd = 0
    private var playedPosition = 0
    private var now: Duration = .zero
    private var fractionalBytes: Int64 = 0  // in 1/1000 byte units

    /// Creates a simulator.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    // MARK: - Caller → server

    /// `connected` (no `sequenceNumber`).
    public func connectedMessage() -> String {
        #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#
    }

    /// `start`, with the next `sequenceNumber` (`"1"` when sent first).
    public mutating func startMessage() -> String {
        sequenceNumber += 1
        let message = TwilioInboundMessage.start(TwilioStartMessage(
            sequenceNumber: String(sequenceNumber),
            streamSid: configuration.streamSid,
            start: .init(
                accountSid: configuration.accountSid,
                streamSid: configuration.streamSid,
                callSid: configuration.callSid,
                tracks: ["inbound"],
                mediaFormat: .twilioDefault,
                customParameters: configuration.customParameters)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(message)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// `media` with `payload` (mu-law bytes, normally 160), the next `chunk` and
    /// `sequenceNumber`, and `timestamp` = audio sent before it in ms.
    public mutating func mediaMessage(_ payload: some Collection<UInt8>) -> String {
        sequenceNumber += 1
        chunk += 1
        let timestamp = sentAudioByteCount / 8
        sentAudioByteCount += payload.count
        let bytes = Array(payload)
        var base64 = [UInt8](repeating: 0, count: Base64Codec.encodedCount(bytes.count))
        bytes.withUnsafeBytes { src in
            base64.withUnsafeMutableBytes { dst in _ = Base64Codec.encode(src, into: dst) }
        }
        return #"{"event":"media","sequenceNumber":"\#(sequenceNumber)","media":{"track":"inbound","chunk":"\#(chunk)","timestamp":"\#(timestamp)","payload":"\#(String(decoding: base64, as: UTF8.self))"},"streamSid":"\#(configuration.streamSid)"}"#
    }

    /// `dtmf` for one key.
    public mutating func dtmfMessage(digit: String) -> String {
        sequenceNumber += 1
        return #"{"event":"dtmf","streamSid":"\#(configuration.streamSid)","sequenceNumber":"\#(sequenceNumber)","dtmf":{"track":"inbound_track","digit":"\#(escape(digit))"}}"#
    }

    /// `stop`.
    public mutating func stopMessage() -> String {
        sequenceNumber += 1
        return #"{"event":"stop","sequenceNumber":"\#(sequenceNumber)","stop":{"accountSid":"\#(configuration.accountSid)","callSid":"\#(configuration.callSid)"},"streamSid":"\#(configuration.streamSid)"}"#
    }

    // MARK: - Server → caller

    /// Bytes of server audio queued and not yet played.
    public var queuedByteCount: Int { queuedEnd - playedPosition }

    /// Marks received whose echo is still due.
    public var pendingMarkNames: [String] { pendingMarks.map(\.name) }

    /// Handles one message from the server at time `time`.
    /// - Returns: messages to send back now (mark echoes), in order, including any that fell
    ///   due before `time`.
    public mutating func receive(_ text: String, at time: Duration) throws(TwilioSimulatorError) -> [String] {
        var replies = advance(to: time)
        let message: TwilioOutboundMessage
        do {
            message = try JSONDecoder().decode(TwilioOutboundMessage.self, from: Data(text.utf8))
        } catch {
            throw .invalidMessage(String(text.prefix(80)))
        }
        guard message.streamSid == configuration.streamSid else { throw .wrongStreamSid(message.streamSid) }
        switch message {
        case .media(let m):
            var payload = m.media.payload
            let decoded: [UInt8]? = payload.withUTF8 { text in
                let raw = UnsafeRawBufferPointer(text)
                guard let count = Base64Codec.decodedCount(raw) else { return nil }
                var out = [UInt8](repeating: 0, count: count)
                let ok = out.withUnsafeMutableBufferPointer { Base64Codec.decode(raw, into: $0) } != nil
                return ok ? out : nil
            }
            guard let decoded else { throw .invalidBase64 }
            mediaMessagesReceived += 1
            queued.append(contentsOf: decoded)
            queuedEnd += decoded.count
        case .mark(let m):
            if queuedEnd == playedPosition {
                replies.append(echo(m.mark.name, flushed: false))
            } else {
                pendingMarks.append((queuedEnd, m.mark.name))
            }
        case .clear:
            clearsReceived += 1
            flushedByteCount += queuedEnd - playedPosition
            queued.removeAll(keepingCapacity: true)
            queuedHead = 0
            queuedEnd = playedPosition
            let marks = pendingMarks
            pendingMarks.removeAll()
            for mark in marks { replies.append(echo(mark.name, flushed: true)) }
        }
        return replies
    }

    /// Plays queued audio up to `time` and returns the mark echoes that fell due, in order.
    public mutating func advance(to time: Duration) -> [String] {
        guard time > now else { return [] }
        let elapsed = time - now
        now = time
        // 8 bytes per ms = 8000 per s; track thousandths of a byte so no time is lost.
        let (seconds, attoseconds) = elapsed.components
        fractionalBytes += seconds * 8_000_000 + attoseconds / 125_000_000_000
        let budget = Int(fractionalBytes / 1000)
        let available = queuedEnd - playedPosition
        let consumed = min(budget, available)
        var idleSilence = 0
        // Idle time (the player ran dry) is not saved up; only the sub-byte remainder carries over.
        fractionalBytes -= Int64(budget) * 1000
        if available < budget, configuration.recordsPlayedAudio, configuration.recordsIdleAsSilence {
            // Silence goes after the audio that played in this interval.
            idleSilence = budget - available
        }
        if consumed > 0 {
            if configuration.recordsPlayedAudio {
                playedAudio.append(contentsOf: queued[queuedHead..<(queuedHead + consumed)])
            }
            queuedHead += consumed
            playedPosition += consumed
            playedByteCount += consumed
            if queuedHead == queued.count {
                queued.removeAll(keepingCapacity: true)
                queuedHead = 0
            }
        }
        if idleSilence > 0 {
            playedAudio.append(contentsOf: repeatElement(MuLaw.silenceCode, count: idleSilence))
            idleSilence = 0
        }
        var replies: [String] = []
        while let first = pendingMarks.first, first.position <= playedPosition {
            pendingMarks.removeFirst()
            replies.append(echo(first.name, flushed: false))
        }
        return replies
    }

    /// When the next pending mark will echo if nothing else arrives (nil when none is pending).
    public func nextEchoTime() -> Duration? {
        guard let first = pendingMarks.first else { return nil }
        let bytes = first.position - playedPosition
        let partial = Duration.microseconds(fractionalBytes / 8)
        return now + .microseconds(bytes * 125) - partial
    }

    private mutating func echo(_ name: String, flushed: Bool) -> String {
        sequenceNumber += 1
        echoes.append(Echo(name: name, flushed: flushed, time: now))
        return #"{"event":"mark","sequenceNumber":"\#(sequenceNumber)","streamSid":"\#(configuration.streamSid)","mark":{"name":"\#(escape(name))"}}"#
    }

    private func escape(_ s: String) -> String {
        String(decoding: JSONStringEscaper.escaped(s), as: UTF8.self)
    }
}
