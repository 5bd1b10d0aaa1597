/// Live reservations + calls counted by client and by campaign.
public struct CapacityUsage: Sendable, Hashable {
    /// Live reservations + calls per client id (clients with none are absent).
    public var byClient: [String: Int]
    /// Live reservations + calls per campaign id (campaigns with none are absent).
    public var byCampaign: [String: Int]

    /// Creates a usage value.
    public init(byClient: [String: Int] = [:], byCampaign: [String: Int] = [:]) {
        self.byClient = byClient
        self.byCampaign = byCampaign
    }

    /// Live reservations + calls of one scope.
    public func count(for scope: QuotaScope) -> Int {
        switch scope {
        case .client(let id): byClient[id, default: 0]
        case .campaign(let id): byCampaign[id, default: 0]
        }
    }
}
