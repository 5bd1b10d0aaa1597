/// Who and what a call is: carrier ids, the bot that answers it, and what the carrier told us.
public struct CallIdentity: Sendable, Hashable, Codable {
    /// The carrier's call id (Twilio `CallSid`). Every log line of the call carries it as `call_sid`.
    public var callID: String
    /// The media stream id (Twilio `StreamSid`).
    public var streamID: String
    /// The bot configuration answering the call.
    public var botID: String
    /// The carrier account (Twilio `AccountSid`), when known.
    public var accountID: String?
    /// Caller number (E.164), when known.
    public var from: String?
    /// Called number (E.164), when known.
    public var to: String?
    /// Custom parameters the carrier passed (Twilio `<Parameter>` pairs).
    public var customParameters: [String: String]

    /// Creates an identity.
    public init(
        callID: String,
        streamID: String,
        botID: String,
        accountID: String? = nil,
        from: String? = nil,
        to: String? = nil,
        customParameters: [String: String] = [:]
    ) {
        self.callID = callID
        self.streamID = streamID
        self.botID = botID
        self.accountID = accountID
        self.from = from
        self.to = to
        self.customParameters = customParameters
    }
}
