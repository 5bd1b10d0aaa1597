/// What a quota limits: one client or one campaign.
public enum QuotaScope: Sendable, Hashable, CustomStringConvertible {
    /// All live reservations + calls of a client.
    case client(String)
    /// All live reservations + calls of a campaign.
    case campaign(String)

    /// `client:<id>` or `campaign:<id>`.
    public var description: String {
        switch self {
        case .client(let id): "client:\(id)"
        case .campaign(let id): "campaign:\(id)"
        }
    }

    var kind: String {
        switch self {
        case .client: "client"
        case .campaign: "campaign"
        }
    }

    var key: String {
        switch self {
        case .client(let id), .campaign(let id): id
        }
    }
}
