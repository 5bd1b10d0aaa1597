/// Why ``TwiMLStreamResponse`` refused to build a document.
public enum TwiMLError: Error, Sendable, Hashable {
    /// The stream URL is not `wss://` (Twilio's only scheme) or `ws://` (local tests).
    case unsupportedStreamScheme(String)
    /// The stream URL has a query string, which Twilio does not support; use parameters.
    case streamURLHasQuery
    /// A `<Parameter>` has an empty name.
    case emptyParameterName
    /// A `<Parameter>`'s name plus value is 500 characters or more (Twilio's limit).
    case parameterTooLong(name: String, length: Int)
    /// A `<Dial>` with an empty number.
    case emptyDialTarget
    /// A `<Sip>` target that is not a `sip:` or `sips:` URI.
    case invalidSIPURI
}
