/// One lead to import: a number, a priority (higher first: "hot leads first") and free-form data.
public struct LeadRecord: Sendable, Hashable, Codable {
    /// Unique within the campaign.
    public var id: String
    /// The number to call (E.164).
    public var phone: String
    /// Higher priorities are dialled first.
    public var priority: Int
    /// Free-form lead data, stored with the lead (name, notes, ...).
    public var data: [String: String]

    /// Creates a lead.
    public init(id: String, phone: String, priority: Int = 0, data: [String: String] = [:]) {
        self.id = id
        self.phone = phone
        self.priority = priority
        self.data = data
    }
}
