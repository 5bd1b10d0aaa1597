/// Connection and model settings for OpenAI or any OpenAI-compatible server.
public struct OpenAIConfiguration: Sendable {
    /// Base URL including the version path, for example `https://api.openai.com/v1`.
    public var baseURL: String
    /// The API key (sent as a bearer token; never logged).
    public var apiKey: OpenAIAPIKey
    /// `OpenAI-Organization` header, if set.
    public var organization: String?
    /// `OpenAI-Project` header, if set.
    public var project: String?
    /// Transcription model (default `whisper-1`).
    public var transcriptionModel: String
    /// Chat model (default `gpt-4o-mini`).
    public var chatModel: String
    /// Speech model (default `gpt-4o-mini-tts`).
    public var speechModel: String
    /// Default voice (default `alloy`).
    public var speechVoice: String
    /// Default speaking speed, 0.25...4 (nil uses the server default).
    public var speechSpeed: Double?
    /// Ask for usage in streamed chat (`stream_options.include_usage`).
    public var includeChatUsage: Bool
    /// JSON field for the completion token limit (`max_completion_tokens`; some compatible servers want `max_tokens`).
    public var maxTokensField: String
    /// Largest accepted transcription upload in bytes (default 25 MiB, OpenAI's limit).
    public var maxUploadBytes: Int
    /// Hard cap per HTTP request; the resilience layer's finer timeouts normally fire first.
    public var requestTimeout: Duration
    /// Name reported in descriptors, metrics and errors (default `openai`).
    public var providerName: String

    /// Creates a configuration.
    public init(
        apiKey: OpenAIAPIKey,
        baseURL: String = "https://api.openai.com/v1",
        organization: String? = nil,
        project: String? = nil,
        transcriptionModel: String = "whisper-1",
        chatModel: String = "gpt-4o-mini",
        speechModel: String = "gpt-4o-mini-tts",
        speechVoice: String = "alloy",
        speechSpeed: Double? = nil,
        includeChatUsage: Bool = true,
        maxTokensField: String = "max_completion_tokens",
        maxUploadBytes: Int = 25 * 1024 * 1024,
        requestTimeout: Duration = .seconds(120),
        providerName: String = "openai"
    ) {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.baseURL = trimmed
        self.apiKey = apiKey
        self.organization = organization
        self.project = project
        self.transcriptionModel = transcriptionModel
        self.chatModel = chatModel
        self.speechModel = speechModel
        self.speechVoice = speechVoice
        self.speechSpeed = speechSpeed
        self.includeChatUsage = includeChatUsage
        self.maxTokensField = maxTokensField
        self.maxUploadBytes = maxUploadBytes
        self.requestTimeout = requestTimeout
        self.providerName = providerName
    }
}
