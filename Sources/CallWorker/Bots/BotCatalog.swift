import CallEngine
import Foundation

/// The bots a worker answers for, by id, validated at startup.
public struct BotCatalog: Sendable {
    /// The file format: `{ "bots": [ ... ] }`.
    public struct File: Sendable, Codable {
        /// The bots.
        public var bots: [BotDefinition]
    }

    /// Engine configurations by bot id.
    public let bots: [String: CallEngineConfiguration]
    /// Telephony options (transfer, voicemail) by bot id; a bot without an entry has none.
    public let options: [String: BotCallOptions]

    /// Creates a catalog from ready configurations (for tests and embedding).
    public init(bots: [String: CallEngineConfiguration], options: [String: BotCallOptions] = [:]) {
        self.bots = bots
        self.options = options
    }

    /// Builds a catalog from definitions, checking ids and every field.
    public init(definitions: [BotDefinition], recordingDirectory: String?) throws(WorkerConfigurationError) {
        guard !definitions.isEmpty else { throw .invalidBot(id: "", reason: "the file defines no bots") }
        var bots: [String: CallEngineConfiguration] = [:]
        var options: [String: BotCallOptions] = [:]
        for definition in definitions {
            let id = definition.id
            guard !id.isEmpty, id.count <= 64,
                  id.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" })
            else {
                throw .invalidBot(id: id, reason: "id must be 1-64 characters of letters, digits, '-' or '_'")
            }
            guard bots[id] == nil else { throw .invalidBot(id: id, reason: "duplicate id") }
            bots[id] = try definition.engineConfiguration(recordingDirectory: recordingDirectory)
            options[id] = try definition.callOptions()
        }
        self.bots = bots
        self.options = options
    }

    /// Loads and validates a bots JSON file.
    public static func load(path: String, recordingDirectory: String?) throws(WorkerConfigurationError) -> BotCatalog {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableBotsFile(path: path, reason: "\(error.localizedDescription)")
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .malformedBotsFile(path: path, reason: "missing \"\(key.stringValue)\" at \(Self.path(context.codingPath))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw .malformedBotsFile(path: path, reason: "expected \(type) at \(Self.path(context.codingPath))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw .malformedBotsFile(path: path, reason: "expected \(type) at \(Self.path(context.codingPath))")
        } catch let DecodingError.dataCorrupted(context) {
            throw .malformedBotsFile(path: path, reason: "\(context.debugDescription) at \(Self.path(context.codingPath))")
        } catch {
            throw .malformedBotsFile(path: path, reason: "\(error)")
        }
        return try BotCatalog(definitions: file.bots, recordingDirectory: recordingDirectory)
    }

    /// The built-in demo bot, used when no bots file is configured.
    public static func demo(recordingDirectory: String?) -> BotCatalog {
        var configuration = CallEngineConfiguration(
            systemPrompt: "You are a friendly phone assistant for a demo. Keep answers to one or two short sentences.",
            greeting: "Hello! Thanks for calling. How can I help you today?",
            recordingDirectory: recordingDirectory
        )
        configuration.language = "en"
        return BotCatalog(bots: ["demo": configuration])
    }

    /// The configuration for `id`, if the bot exists.
    public func configuration(for id: String) -> CallEngineConfiguration? { bots[id] }

    /// The telephony options for `id` (empty when none are set).
    public func callOptions(for id: String) -> BotCallOptions { options[id] ?? BotCallOptions() }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "top level" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
