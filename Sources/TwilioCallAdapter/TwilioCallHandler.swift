import CallEngine
import TwilioMediaStreams

/// What the application does with a Twilio media stream: build the engine when `start`
/// arrives, then run the call to its end (a worker wraps this in capacity tracking and
/// result delivery).
public protocol TwilioCallHandler: Sendable {
    /// The conversation for the stream `start` describes, speaking through `transport`; nil
    /// refuses the call (the stream is closed).
    func conversation(for start: TwilioStartMessage, transport: TwilioCallTransport) async -> CallConversation?
    /// Runs the call until it ends, including whatever happens to its result.
    func run(_ conversation: CallConversation, start: TwilioStartMessage) async
    /// A message was rejected (counted by the handler; the session already logged it).
    func rejected(_ error: TwilioStreamError)
}
