import CallAudio

/// What a carrier transport tells the engine. Transport-agnostic: the Twilio adapter maps
/// its WebSocket messages to these; another carrier maps its own.
public enum TransportEvent: Sendable {
    /// 20 ms of caller audio in the engine's ``CallConversation/inputFormat``.
    case audio(AudioFrame)
    /// The audio before `mark` was played to the caller.
    case markPlayed(PlaybackMark)
    /// A ``TransportCommand/clear`` dropped (part of) the audio before `mark`. How much of it
    /// the caller heard is the engine's estimate, from the chunk's duration and the time it
    /// played before the clear.
    case markFlushed(PlaybackMark)
    /// The caller pressed a key.
    case dtmf(digit: String)
    /// The caller hung up or the carrier stopped the stream.
    case hangUp
}
