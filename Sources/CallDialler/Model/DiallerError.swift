/// Errors of the dialler's own operations (placement errors are ``CallPlacementError``).
public enum DiallerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Bad input: a lead file, a campaign definition, a flag.
    case invalidInput(String)
    /// The database reported an error or could not be reached.
    case database(String)
    /// A campaign id that is not in the database.
    case unknownCampaign(String)

    /// Human-readable description.
    public var description: String {
        switch self {
        case .invalidInput(let message): "invalid input: \(message)"
        case .database(let message): "database error: \(message)"
        case .unknownCampaign(let id): "unknown campaign: \(id)"
        }
    }
}
