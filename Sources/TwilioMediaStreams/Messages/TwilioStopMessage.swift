/// `stop`: the stream stopped or the call ended.
public struct TwilioStopMessage: Codable, Sendable, Hashable {
    /// Message counter on the stream, a decimal string.
    public var sequenceNumber: String
    /// The stream id (`MZ…`).
    public var streamSid: String
    /// The ids of the call that stopped.
    public var stop: Stop

    /// Creates a `stop` message.
    public init(sequenceNumber: String, streamSid: String, accountSid: String, callSid: String) {
        self.sequenceNumber = sequenceNumber
        self.streamSid = streamSid
        self.stop = Stop(accountSid: accountSid, callSid: callSid)
    }

    /// The `stop` object.
    public struct Stop: Codable, Sendable, Hashable {
        /// The account id (`AC…`).
        public var accountSid: String
        /// The call id (`CA…`).
        public var callSid: String

        /// Creates the `stop` object.
        public init(accountSid: String, callSid: String) {
            self.accountSid = accountSid
            self.callSid = callSid
        }
    }
}
