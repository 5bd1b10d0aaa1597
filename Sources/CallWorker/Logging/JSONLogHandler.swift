import Foundation
import Logging
import Synchronization

/// A swift-log handler printing one JSON object per line to standard output:
/// `{"ts":"…","level":"info","label":"…","msg":"…","call_sid":"…",…}`. Metadata values are
/// strings; nested metadata is flattened with its description.
public struct JSONLogHandler: LogHandler {
    /// Minimum level printed.
    public var logLevel: Logger.Level
    /// Handler-level metadata (for example `call_sid` set on a call's logger).
    public var metadata: Logger.Metadata = [:]
    /// Optional metadata provider (task-local context).
    public var metadataProvider: Logger.MetadataProvider?

    private let label: String
    private let output: @Sendable (String) -> Void

    /// Creates a handler for `label` writing lines through `output` (default: stdout).
    public init(label: String, logLevel: Logger.Level = .info, output: @escaping @Sendable (String) -> Void = JSONLogHandler.standardOutput) {
        self.label = label
        self.logLevel = logLevel
        self.output = output
    }

    /// Queues `line` for standard output on ``LogLineWriter/standardOutput``'s own thread:
    /// logging never blocks the logging task, even when nothing reads the output.
    public static let standardOutput: @Sendable (String) -> Void = { line in
        LogLineWriter.standardOutput.write(line)
    }

    /// Metadata access by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats and prints one entry.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        output(Self.format(timestamp: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged))
    }

    /// Formats one JSON line (exposed for tests).
    public static func format(timestamp: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "{\"ts\":\"" + timestamp.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)) + "\""
        line += ",\"level\":\"\(level.rawValue)\",\"label\":" + quoted(label) + ",\"msg\":" + quoted(message)
        for key in metadata.keys.sorted() where !["ts", "level", "label", "msg"].contains(key) {
            if let value = metadata[key] {
                line += "," + quoted(key) + ":" + quoted(stringValue(value))
            }
        }
        return line + "}"
    }

    private static func stringValue(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array(let a): "[" + a.map(stringValue).joined(separator: ",") + "]"
        case .dictionary(let d): "{" + d.keys.sorted().map { "\($0)=\(d[$0].map(stringValue) ?? "")" }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
