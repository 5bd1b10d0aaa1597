/// A failure of the campaign run itself (not a failed check).
struct CampaignError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
