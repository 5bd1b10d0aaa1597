import SpeechServices

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

    // MARK: Connection pool (used when the client creates its own `HTTPClient`)

    /// Most HTTP/1.1 connections kept per host (default 16). A worker should size it from
    /// its call slots with ``connectionsPerHost(forCallSlots:)``: every call can have an
    /// STT, a chat and a TTS request in flight, and a request that finds no free
    /// connection queues. Over TLS, a server offering HTTP/2 gets one multiplexed connection.
    public var maximumConnectionsPerHost: Int
    /// How long an idle pooled connection is kept open (default 5 minutes, longer than
    /// AsyncHTTPClient's 60 s, so connections stay warm between turns and calls).
    public var connectionIdleTimeout: Duration
    /// Longest wait to open a connection, or for a free one when the pool is full (default 5 s);
    /// also the limit of one pre-connect request.
    public var connectTimeout: Duration
    /// Connections ``OpenAIClient/preconnect(connections:context:)`` opens by default
    /// (default 3: one per stage).
    public var preconnectConnections: Int

    // MARK: Limits on what a provider may send

    /// Largest `retry-after` honoured as such; longer (or absurd: `1e20`, `inf`, a date after
    /// 2262) values are clamped to this (default 60 s). The retry policy's own cap still decides
    /// whether to wait or give up.
    public var maxRetryAfter: Duration
    /// Largest JSON answer (transcription) in bytes (default 4 MiB); beyond it the request fails
    /// as a malformed response.
    public var maxJSONResponseBytes: Int
    /// Longest line of a streamed chat answer in bytes (default 1 MiB).
    public var maxEventLineBytes: Int
    /// Largest streamed chat answer in bytes (default 8 MiB), however it is split into events.
    public var maxChatStreamBytes: Int
    /// Most reply characters (text plus tool-call arguments) accepted from one chat stream
    /// (default 32,768); an endless stream of deltas fails with a malformed response.
    public var maxReplyCharacters: Int
    /// Speech audio allowed per input character, in seconds at speed 1 (default 0.25 s, four
    /// times a normal speaking rate); each request is allowed at least 15 s. A longer audio
    /// stream fails as a malformed response.
    public var maxSpeechSecondsPerCharacter: Double

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
        providerName: String = "openai",
        maximumConnectionsPerHost: Int = 16,
        connectionIdleTimeout: Duration = .seconds(300),
        preconnectConnections: Int = 3,
        connectTimeout: Duration = .seconds(5),
        maxRetryAfter: Duration = .seconds(60),
        maxJSONResponseBytes: Int = 4 << 20,
        maxEventLineBytes: Int = 1 << 20,
        maxChatStreamBytes: Int = 8 << 20,
        maxReplyCharacters: Int = 32_768,
        maxSpeechSecondsPerCharacter: Double = 0.25
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
        self.maximumConnectionsPerHost = maximumConnectionsPerHost
        self.connectionIdleTimeout = connectionIdleTimeout
        self.preconnectConnections = preconnectConnections
        self.connectTimeout = connectTimeout
        self.maxRetryAfter = maxRetryAfter
        self.maxJSONResponseBytes = maxJSONResponseBytes
        self.maxEventLineBytes = maxEventLineBytes
        self.maxChatStreamBytes = maxChatStreamBytes
        self.maxReplyCharacters = maxReplyCharacters
        self.maxSpeechSecondsPerCharacter = maxSpeechSecondsPerCharacter
    }

    /// Connections per host for a worker with `callSlots` concurrent calls: three per slot
    /// (STT, chat and TTS can overlap in one call), at least 16.
    public static func connectionsPerHost(forCallSlots callSlots: Int) -> Int {
        let (product, overflow) = max(0, callSlots).multipliedReportingOverflow(by: 3)
        return overflow ? Int.max : max(16, product)
    }

    /// The most speech bytes (24 kHz PCM16 mono) accepted for `characters` of input at `speed`.
    public func maxSpeechBytes(characters: Int, speed: Double?) -> Int {
        let rate = NetworkNumber.nonNegative(speed ?? 1, maximum: 4).map { max($0, 0.25) } ?? 1
        let perCharacter = NetworkNumber.nonNegative(maxSpeechSecondsPerCharacter, maximum: 3600) ?? 0.25
        let seconds = max(15, Double(max(0, characters)) * perCharacter / rate)
        return NetworkNumber.saturatingInt(seconds * 48_000) & ~1
    }
}
