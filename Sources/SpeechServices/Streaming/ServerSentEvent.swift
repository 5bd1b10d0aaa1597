/// One dispatched server-sent event.
public struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field, if any.
    public var event: String?
    /// All `data:` lines of the event joined with `\n`.
    public var data: String
    /// The `id:` field, if any.
    public var id: String?
    /// The `retry:` field in milliseconds, if any.
    public var retry: Int?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }
}
