/// How the dialler runs.
public struct DiallerConfiguration: Sendable {
    /// The dialler's public base URL as the carrier sees it (`https://dialler.example.com`);
    /// status callbacks go to `<publicURL>/twilio/status` and are verified against it.
    public var publicURL: String
    /// How long a reservation waits for the worker's confirmation (the stream's `start`).
    public var hold: Duration
    /// Labels the reserved worker must carry.
    public var requiredLabels: [String: String]
    /// Ring time per call.
    public var ringTimeout: Duration
    /// Longest wait between two looks for work when idle (no capacity, no due lead).
    public var idleInterval: Duration
    /// How often attempts whose hold lapsed are checked.
    public var sweepInterval: Duration
    /// How long after an attempt's hold lapsed (or its call was last seen live or completed) the
    /// dialler waits for the worker's result before it retries the lead as not connected.
    public var resultGrace: Duration
    /// Due leads read per campaign per look.
    public var batchSize: Int
    /// Longest the drain waits for live calls to finish.
    public var drainTimeout: Duration

    /// Creates a configuration.
    public init(
        publicURL: String, hold: Duration = .seconds(30), requiredLabels: [String: String] = [:],
        ringTimeout: Duration = .seconds(30), idleInterval: Duration = .milliseconds(500),
        sweepInterval: Duration = .seconds(1), resultGrace: Duration = .seconds(15), batchSize: Int = 64,
        drainTimeout: Duration = .seconds(120)
    ) {
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.hold = hold
        self.requiredLabels = requiredLabels
        self.ringTimeout = ringTimeout
        self.idleInterval = idleInterval
        self.sweepInterval = sweepInterval
        self.resultGrace = resultGrace
        self.batchSize = max(1, batchSize)
        self.drainTimeout = drainTimeout
    }

    /// The status-callback URL of one attempt.
    public func statusCallbackURL(reservationID: String) -> String {
        "\(publicURL)/twilio/status?reservation_id=\(reservationID)"
    }

    /// The worker's stream URL for a bot: the registered `wss://host/ws` + `/{botId}`.
    public static func streamURL(workerURL: String, botID: String) -> String {
        (workerURL.hasSuffix("/") ? String(workerURL.dropLast()) : workerURL) + "/" + botID
    }
}
