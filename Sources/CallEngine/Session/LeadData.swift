import Foundation

/// The kinds of value a lead field can hold.
public enum LeadFieldType: String, Sendable, Hashable, Codable {
    /// Free text (trimmed, at most `maximumLength` characters).
    case text
    /// A number.
    case number
    /// true / false.
    case boolean
    /// One of `allowedValues`.
    case choice
    /// An e-mail address.
    case email
    /// A phone number (digits, optional leading +, 7-15 digits).
    case phone
}

/// The schema of one lead field the language model may set through `update_lead`.
public struct LeadField: Sendable, Hashable, Codable {
    /// Field name as the model sees it.
    public var name: String
    /// Value kind.
    public var type: LeadFieldType
    /// What the field means, for the tool description.
    public var description: String
    /// Allowed values for ``LeadFieldType/choice``.
    public var allowedValues: [String]
    /// Longest accepted text.
    public var maximumLength: Int

    /// Creates a field.
    public init(name: String, type: LeadFieldType, description: String = "", allowedValues: [String] = [], maximumLength: Int = 200) {
        self.name = name
        self.type = type
        self.description = description
        self.allowedValues = allowedValues
        self.maximumLength = maximumLength
    }

    /// Validates and normalises a raw value.
    /// - Throws: ``CallEngineError/invalidLeadField(name:reason:)``.
    public func validate(_ raw: String) throws(CallEngineError) -> String {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        func reject(_ reason: String) -> CallEngineError { .invalidLeadField(name: name, reason: reason) }
        guard !value.isEmpty else { throw reject("empty value") }
        guard value.count <= maximumLength else { throw reject("longer than \(maximumLength) characters") }
        switch type {
        case .text:
            return value
        case .number:
            guard Double(value) != nil else { throw reject("not a number: \(value)") }
            return value
        case .boolean:
            switch value.lowercased() {
            case "true", "yes": return "true"
            case "false", "no": return "false"
            default: throw reject("not a boolean: \(value)")
            }
        case .choice:
            guard let match = allowedValues.first(where: { $0.caseInsensitiveCompare(value) == .orderedSame }) else {
                throw reject("must be one of \(allowedValues.joined(separator: ", "))")
            }
            return match
        case .email:
            let parts = value.split(separator: "@")
            guard parts.count == 2, parts[1].contains("."), !value.contains(" ") else { throw reject("not an e-mail address") }
            return value.lowercased()
        case .phone:
            let digits = value.filter(\.isNumber)
            let allowed = value.allSatisfy { $0.isNumber || " +-().".contains($0) }
            guard allowed, (7...15).contains(digits.count) else { throw reject("not a phone number") }
            return (value.hasPrefix("+") ? "+" : "") + digits
        }
    }
}

/// Lead data collected during a call: validated values keyed by field name.
public struct LeadData: Sendable, Hashable, Codable {
    /// Current values.
    public private(set) var values: [String: String] = [:]

    /// Creates empty lead data.
    public init() {}

    /// Validates and stores `updates` against `schema`. Either every field is valid and all
    /// are stored, or nothing changes.
    /// - Throws: ``CallEngineError/invalidLeadField(name:reason:)`` for the first bad field.
    public mutating func apply(_ updates: [String: String], schema: [LeadField]) throws(CallEngineError) {
        var validated: [String: String] = [:]
        for (name, raw) in updates.sorted(by: { $0.key < $1.key }) {
            guard let field = schema.first(where: { $0.name == name }) else {
                throw .invalidLeadField(name: name, reason: "unknown field")
            }
            validated[name] = try field.validate(raw)
        }
        values.merge(validated) { _, new in new }
    }
}
