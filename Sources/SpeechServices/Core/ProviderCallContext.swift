import Logging

/// Per-request context passed to every provider call.
///
/// Carries the call id for logs, a logger, and a hook through which fallback wrappers
/// report which provider actually served the request.
public struct ProviderCallContext: Sendable {
    /// The phone call this request belongs to (Twilio `CallSid`), if any.
    public var callSID: String?
    /// Logger to use; providers add their own metadata on top.
    public var logger: Logger
    /// Called once per request with the provider that served it (or started to serve it).
    public var onServed: (@Sendable (ProviderDescriptor) -> Void)?

    /// Creates a context. The logger gets `call_sid` metadata when `callSID` is given.
    public init(callSID: String? = nil, logger: Logger = Logger(label: "speech-services"), onServed: (@Sendable (ProviderDescriptor) -> Void)? = nil) {
        self.callSID = callSID
        var logger = logger
        if let callSID { logger[metadataKey: "call_sid"] = "\(callSID)" }
        self.logger = logger
        self.onServed = onServed
    }
}
