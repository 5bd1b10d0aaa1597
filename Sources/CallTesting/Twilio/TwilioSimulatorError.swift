/// Why ``TwilioCallerSimulator`` refused a message from the server.
public enum TwilioSimulatorError: Error, Sendable, Hashable {
    /// Not JSON, or not a `media`/`mark`/`clear` message with its required fields.
    case invalidMessage(String)
    /// A `media` payload that is not valid padded base64.
    case invalidBase64
    /// The message names another stream.
    case wrongStreamSid(String)
}
