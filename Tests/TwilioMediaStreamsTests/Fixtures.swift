import Foundation
import Logging
import NIOConcurrencyHelpers
@testable import TwilioMediaStreams

/// Reference messages from protocols.md §1.2 (the `start` example without its trailing comma).
enum Fixtures {
    static let sid = "MZ0123456789abcdef0123456789abcdef"
    static let connected = #"{ "event": "connected", "protocol": "Call", "version": "1.0.0" }"#
    static let start = """
        {
          "event": "start",
          "sequenceNumber": "1",
          "start": {
            "accountSid": "AC0123456789abcdef0123456789abcdef",
            "streamSid": "MZ0123456789abcdef0123456789abcdef",
            "callSid": "CA0123456789abcdef0123456789abcdef",
            "tracks": [ "inbound" ],
            "mediaFormat": { "encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1 },
            "customParameters": { "FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob" }
          },
          "streamSid": "MZ0123456789abcdef0123456789abcdef"
        }
        """
    static let dtmf = """
        { "event": "dtmf", "streamSid": "MZ0123456789abcdef0123456789abcdef", "sequenceNumber": "5",
          "dtmf": { "track": "inbound_track", "digit": "1" } }
        """
    static let mark = """
        { "event": "mark", "sequenceNumber": "4", "streamSid": "MZ0123456789abcdef0123456789abcdef",
          "mark": { "name": "my label" } }
        """
    static let stop = """
        { "event": "stop", "sequenceNumber": "5",
          "stop": { "accountSid": "AC0123456789abcdef0123456789abcdef", "callSid": "CA0123456789abcdef0123456789abcdef" },
          "streamSid": "MZ0123456789abcdef0123456789abcdef" }
        """

    /// 160 bytes of varied mu-law.
    static let frame: [UInt8] = (0..<160).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }

    static func media(seq: Int, chunk: Int? = nil, timestamp: Int? = nil, payload: [UInt8] = frame, sid: String = sid) -> String {
        let b64 = Data(payload).base64EncodedString()
        return #"{"event":"media","sequenceNumber":"\#(seq)","media":{"track":"inbound","chunk":"\#(chunk ?? seq - 1)","timestamp":"\#(timestamp ?? (seq - 2) * 20)","payload":"\#(b64)"},"streamSid":"\#(sid)"}"#
    }
}

/// A log handler that keeps every record, for asserting log lines and their metadata.
struct CapturingLogHandler: LogHandler {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let record = Record(level: event.level, message: event.message.description, metadata: merged)
        capture.records.withLockedValue { $0.append(record) }
    }
}

/// A logger whose records can be inspected.
final class LogCapture: Sendable {
    let records = NIOLockedValueBox<[CapturingLogHandler.Record]>([])

    var logger: Logger {
        Logger(label: "test") { _ in CapturingLogHandler(capture: self) }
    }

    var all: [CapturingLogHandler.Record] { records.withLockedValue { $0 } }
}

/// A deterministic generator (SplitMix64) for the fuzz corpus.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
