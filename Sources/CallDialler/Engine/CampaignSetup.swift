import CallCapacity

/// Creating a campaign touches two places: the dialler's table and the registry's quota.
public enum CampaignSetup {
    /// Stores the campaign and sets (or removes) its concurrency quota in the registry, so the
    /// registry's atomic reservation enforces it.
    public static func apply(_ campaign: Campaign, store: DiallerStore, registry: any CapacityRegistry) async throws {
        try await store.upsert(campaign)
        try await registry.setQuota(.campaign(campaign.id), maxConcurrent: campaign.maxConcurrent)
    }

    /// Sets (or with nil removes) a client's concurrency quota over all its campaigns.
    public static func setClientQuota(_ clientID: String, maxConcurrent: Int?, registry: any CapacityRegistry) async throws {
        try await registry.setQuota(.client(clientID), maxConcurrent: maxConcurrent)
    }
}
