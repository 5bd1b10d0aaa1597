/// Billable usage of one call.
public struct CallUsage: Sendable, Hashable, Codable {
    /// Seconds of audio sent to STT.
    public var sttAudioSeconds: Double = 0
    /// STT requests made.
    public var sttRequests: Int = 0
    /// STT requests the short-audio filter saved.
    public var sttRequestsSaved: Int = 0
    /// LLM prompt tokens.
    public var llmInputTokens: Int = 0
    /// LLM completion tokens.
    public var llmOutputTokens: Int = 0
    /// Characters sent to TTS (cache misses only).
    public var ttsCharacters: Int = 0
    /// Phrases served from the TTS cache.
    public var ttsCacheHits: Int = 0
    /// Speculative STT requests (started while the caller paused, before the end of the
    /// turn); included in ``sttRequests`` and ``sttAudioSeconds``.
    public var sttSpeculativeRequests: Int = 0
    /// Speculative requests whose result was not used (the caller went on speaking).
    public var sttSpeculativeWasted: Int = 0
    /// Audio seconds of the wasted speculative requests: their extra STT cost.
    public var sttSpeculativeWastedSeconds: Double = 0
    /// Utterances not transcribed because the call had used its STT requests for the minute
    /// (``CallLimits/maximumTranscriptionsPerMinute``).
    public var sttRequestsThrottled: Int = 0
    /// Caller media frames dropped because they arrived faster than real time (a flood).
    public var mediaFramesDropped: Int = 0

    /// Creates zero usage.
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case sttAudioSeconds, sttRequests, sttRequestsSaved, llmInputTokens, llmOutputTokens, ttsCharacters, ttsCacheHits
        case sttSpeculativeRequests, sttSpeculativeWasted, sttSpeculativeWastedSeconds
        case sttRequestsThrottled, mediaFramesDropped
    }

    /// Decodes usage; fields added after a result was written default to zero.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sttAudioSeconds = try c.decodeIfPresent(Double.self, forKey: .sttAudioSeconds) ?? 0
        sttRequests = try c.decodeIfPresent(Int.self, forKey: .sttRequests) ?? 0
        sttRequestsSaved = try c.decodeIfPresent(Int.self, forKey: .sttRequestsSaved) ?? 0
        llmInputTokens = try c.decodeIfPresent(Int.self, forKey: .llmInputTokens) ?? 0
        llmOutputTokens = try c.decodeIfPresent(Int.self, forKey: .llmOutputTokens) ?? 0
        ttsCharacters = try c.decodeIfPresent(Int.self, forKey: .ttsCharacters) ?? 0
        ttsCacheHits = try c.decodeIfPresent(Int.self, forKey: .ttsCacheHits) ?? 0
        sttSpeculativeRequests = try c.decodeIfPresent(Int.self, forKey: .sttSpeculativeRequests) ?? 0
        sttSpeculativeWasted = try c.decodeIfPresent(Int.self, forKey: .sttSpeculativeWasted) ?? 0
        sttSpeculativeWastedSeconds = try c.decodeIfPresent(Double.self, forKey: .sttSpeculativeWastedSeconds) ?? 0
        sttRequestsThrottled = try c.decodeIfPresent(Int.self, forKey: .sttRequestsThrottled) ?? 0
        mediaFramesDropped = try c.decodeIfPresent(Int.self, forKey: .mediaFramesDropped) ?? 0
    }

    /// Estimated cost under `prices`.
    public func cost(_ prices: ProviderPrices) -> Double {
        sttAudioSeconds / 60 * prices.sttPerMinute
            + Double(llmInputTokens) / 1_000_000 * prices.llmInputPerMillionTokens
            + Double(llmOutputTokens) / 1_000_000 * prices.llmOutputPerMillionTokens
            + Double(ttsCharacters) / 1_000_000 * prices.ttsPerMillionCharacters
    }
}

/// Prices used to estimate a call's cost (in any currency; USD by convention).
public struct ProviderPrices: Sendable, Hashable, Codable {
    /// STT price per audio minute.
    public var sttPerMinute: Double
    /// LLM price per million prompt tokens.
    public var llmInputPerMillionTokens: Double
    /// LLM price per million completion tokens.
    public var llmOutputPerMillionTokens: Double
    /// TTS price per million characters.
    public var ttsPerMillionCharacters: Double

    /// Creates a price list.
    public init(sttPerMinute: Double, llmInputPerMillionTokens: Double, llmOutputPerMillionTokens: Double, ttsPerMillionCharacters: Double) {
        self.sttPerMinute = sttPerMinute
        self.llmInputPerMillionTokens = llmInputPerMillionTokens
        self.llmOutputPerMillionTokens = llmOutputPerMillionTokens
        self.ttsPerMillionCharacters = ttsPerMillionCharacters
    }

    /// OpenAI list prices as of 2026-08 for whisper-1, gpt-4o-mini and tts-1; configure your own.
    public static let openAIDefaults = ProviderPrices(
        sttPerMinute: 0.006, llmInputPerMillionTokens: 0.15, llmOutputPerMillionTokens: 0.60, ttsPerMillionCharacters: 15
    )
}
