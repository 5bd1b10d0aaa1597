/// One parsed inbound `media` message. The audio itself was decoded into the buffer the
/// caller passed to ``TwilioMessageParser/parse(_:payloadInto:)``: its first
/// ``payloadByteCount`` bytes are mu-law samples.
///
/// A plain value with no references: producing it does not allocate.
public struct TwilioMediaFrame: Sendable, Hashable {
    /// `sequenceNumber`: the message counter on the stream.
    public var sequenceNumber: UInt64
    /// `media.chunk`: the media message counter, from 1.
    public var chunk: UInt64
    /// `media.timestamp`: milliseconds since the stream started (the caller-audio clock).
    public var timestamp: UInt64
    /// `media.track`.
    public var track: TwilioTrack
    /// The number of mu-law bytes (= samples) written to the payload buffer.
    public var payloadByteCount: Int

    /// Creates a frame description.
    public init(sequenceNumber: UInt64, chunk: UInt64, timestamp: UInt64, track: TwilioTrack, payloadByteCount: Int) {
        self.sequenceNumber = sequenceNumber
        self.chunk = chunk
        self.timestamp = timestamp
        self.track = track
        self.payloadByteCount = payloadByteCount
    }
}
