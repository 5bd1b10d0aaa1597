/// The OpenAI endpoints the wire server speaks.
public enum WireEndpoint: String, Sendable, Hashable, CaseIterable {
    /// `POST /v1/audio/transcriptions` (multipart upload, JSON answer).
    case transcriptions = "/v1/audio/transcriptions"
    /// `POST /v1/chat/completions` with `stream: true` (server-sent events).
    case chatCompletions = "/v1/chat/completions"
    /// `POST /v1/audio/speech` with `response_format: pcm` (chunked PCM).
    case speech = "/v1/audio/speech"
    /// `GET /v1/models` (the model list; OpenAI clients use it as a cheap pre-connect request).
    case models = "/v1/models"
}
