/// A campaign: who calls, from which number, through which bot, when, how fast and how often.
public struct Campaign: Sendable, Hashable {
    /// Unique id; also the registry's campaign quota key.
    public var id: String
    /// The client (tenant); the registry's client quota key.
    public var clientID: String
    /// The bot the workers run (`/ws/{botId}`).
    public var botID: String
    /// Caller id.
    public var fromNumber: String
    /// The carrier account the calls are placed with; the pace is per account.
    public var account: String
    /// Most concurrent calls of the campaign (the registry's campaign quota); nil = no limit.
    public var maxConcurrent: Int?
    /// Retries.
    public var retry: RetryPolicy
    /// When calls may start.
    public var window: CallingWindow
    /// Whether answering-machine detection is requested.
    public var machineDetection: Bool
    /// Paused campaigns place no calls; their live calls finish.
    public var paused: Bool

    /// Creates a campaign.
    public init(
        id: String, clientID: String, botID: String, fromNumber: String, account: String,
        maxConcurrent: Int? = nil, retry: RetryPolicy = RetryPolicy(), window: CallingWindow = .always,
        machineDetection: Bool = false, paused: Bool = false
    ) {
        self.id = id
        self.clientID = clientID
        self.botID = botID
        self.fromNumber = fromNumber
        self.account = account
        self.maxConcurrent = maxConcurrent
        self.retry = retry
        self.window = window
        self.machineDetection = machineDetection
        self.paused = paused
    }

    /// Checks the fields.
    public func validate() throws(DiallerError) {
        for (name, value) in [("id", id), ("clientID", clientID), ("botID", botID), ("fromNumber", fromNumber), ("account", account)]
        where value.isEmpty {
            throw .invalidInput("campaign \(name) must not be empty")
        }
        if let maxConcurrent, maxConcurrent < 0 { throw .invalidInput("maxConcurrent must be >= 0") }
        if !(0...1440).contains(window.startMinute) || !(0...1440).contains(window.endMinute) {
            throw .invalidInput("calling window minutes must be within 0...1440")
        }
    }
}
