/// One scripted response of the ``OpenAIWireServer``: what to answer, how fast, and
/// which failure to inject.
public struct WireBehavior: Sendable {
    /// What the response carries.
    public enum Body: Sendable {
        /// The endpoint's normal answer (transcription JSON, chat SSE or PCM), using defaults for the content.
        case success
        /// A transcription answer `{"text": …}`.
        case transcription(String)
        /// A streamed chat completion.
        case chat(ChatScript)
        /// Raw SSE `data:` payloads sent as events (for malformed streams such as invalid JSON).
        case rawEvents([String])
        /// PCM bytes for `/audio/speech`, split into parts of `chunkBytes`.
        case speech(pcm: [UInt8], chunkBytes: Int)
        /// An OpenAI error response.
        case error(status: Int, type: String, code: String?, message: String)
        /// Any status with any body.
        case raw(status: Int, contentType: String, body: [UInt8])
        /// A `200` body generated as it is sent, never held in memory: `prefix`, then `part`
        /// `count` times (nil: until the client goes away). For giant and endless answers.
        case repeated(contentType: String, prefix: [UInt8], part: [UInt8], count: Int?)
    }

    /// How the body is cut short after ``WireBehavior/interruptAfterParts`` parts.
    public enum Interruption: Sendable, Equatable {
        /// Close the connection abruptly (no terminating chunk): a reset mid-stream.
        case reset
        /// Stop sending but keep the connection open until the server shuts down or the client leaves.
        case stall
        /// Finish the response cleanly, as if the stream were complete (a truncated stream).
        case endCleanly
        /// Send half of the next part, then finish cleanly (an event cut in the middle).
        case truncateMidPart
    }

    /// The body.
    public var body: Body
    /// Extra response headers (for example `retry-after`).
    public var headers: [(String, String)]
    /// Delay before the response head is sent (slow first byte).
    public var headDelay: Duration
    /// Delay between the head and the first body part.
    public var firstPartDelay: Duration
    /// Delay between body parts.
    public var partInterval: Duration
    /// Number of body parts sent before ``interruption`` applies (nil: no interruption).
    public var interruptAfterParts: Int?
    /// The interruption applied after ``interruptAfterParts`` parts.
    public var interruption: Interruption
    /// When set, the interruption waits until this signal fires (the test saw the parts before it).
    public var interruptWhen: WireSignal?
    /// When set, the response head waits until this many requests are in flight at the server
    /// at once (or ``holdTimeout`` passes): a barrier that shows whether a client really sends
    /// that many requests concurrently (see ``OpenAIWireServer/peakInFlight``).
    public var holdUntilInFlight: Int?
    /// The longest a ``holdUntilInFlight`` barrier waits (default 10 s).
    public var holdTimeout: Duration

    /// Creates a behavior.
    public init(
        _ body: Body = .success,
        headers: [(String, String)] = [],
        headDelay: Duration = .zero,
        firstPartDelay: Duration = .zero,
        partInterval: Duration = .zero,
        interruptAfterParts: Int? = nil,
        interruption: Interruption = .reset,
        interruptWhen: WireSignal? = nil,
        holdUntilInFlight: Int? = nil,
        holdTimeout: Duration = .seconds(10)
    ) {
        self.body = body
        self.headers = headers
        self.headDelay = headDelay
        self.firstPartDelay = firstPartDelay
        self.partInterval = partInterval
        self.interruptAfterParts = interruptAfterParts
        self.interruption = interruption
        self.interruptWhen = interruptWhen
        self.holdUntilInFlight = holdUntilInFlight
        self.holdTimeout = holdTimeout
    }

    /// The endpoint's normal answer.
    public static let success = WireBehavior()

    /// HTTP 429 rate limit, optionally with `retry-after` (seconds) and `retry-after-ms`.
    public static func rateLimited(retryAfter: Double? = nil, retryAfterMilliseconds: Double? = nil) -> WireBehavior {
        var headers: [(String, String)] = []
        if let retryAfter { headers.append(("retry-after", "\(retryAfter)")) }
        if let retryAfterMilliseconds { headers.append(("retry-after-ms", "\(retryAfterMilliseconds)")) }
        return WireBehavior(
            .error(status: 429, type: "requests", code: "rate_limit_exceeded", message: "Rate limit reached for requests"),
            headers: headers
        )
    }

    /// HTTP 429 with `retry-after` / `retry-after-ms` sent verbatim (for hostile values such as
    /// `1e20`, `inf`, `nan` or `Mon, 01 Jan 2300 00:00:00 GMT`).
    public static func rateLimited(retryAfterValue: String?, retryAfterMillisecondsValue: String? = nil) -> WireBehavior {
        var headers: [(String, String)] = []
        if let retryAfterValue { headers.append(("retry-after", retryAfterValue)) }
        if let retryAfterMillisecondsValue { headers.append(("retry-after-ms", retryAfterMillisecondsValue)) }
        return WireBehavior(
            .error(status: 429, type: "requests", code: "rate_limit_exceeded", message: "Rate limit reached for requests"),
            headers: headers
        )
    }

    /// HTTP 429 `insufficient_quota` (not retryable).
    public static let insufficientQuota = WireBehavior(
        .error(
            status: 429, type: "insufficient_quota", code: "insufficient_quota",
            message: "You exceeded your current quota, please check your plan and billing details."
        )
    )

    /// HTTP 401 invalid API key.
    public static let unauthorized = WireBehavior(
        .error(status: 401, type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided.")
    )

    /// HTTP 400 invalid request.
    public static let badRequest = WireBehavior(
        .error(status: 400, type: "invalid_request_error", code: nil, message: "Invalid request.")
    )

    /// HTTP 500/502/503 server error.
    public static func serverError(_ status: Int = 500) -> WireBehavior {
        WireBehavior(.error(status: status, type: "server_error", code: nil, message: "The server had an error while processing your request."))
    }

    /// The normal answer, cut by an abrupt connection close after `parts` body parts.
    ///
    /// With `signal`, the close waits until the test fires it, so the client is known to
    /// have received the parts (a reset can otherwise drop data still in flight).
    public static func resetMidStream(afterParts parts: Int, body: Body = .success, when signal: WireSignal? = nil) -> WireBehavior {
        WireBehavior(body, interruptAfterParts: parts, interruption: .reset, interruptWhen: signal)
    }

    /// Sends the head, then nothing until the server shuts down or the client gives up.
    public static let stallAfterHeaders = WireBehavior(.success, interruptAfterParts: 0, interruption: .stall)

    /// The normal answer stalling after `parts` body parts.
    public static func stall(afterParts parts: Int, body: Body = .success) -> WireBehavior {
        WireBehavior(body, interruptAfterParts: parts, interruption: .stall)
    }

    /// An event stream cut in the middle of event number `parts` (no `[DONE]`).
    public static func truncatedSSE(afterParts parts: Int, body: Body = .success) -> WireBehavior {
        WireBehavior(body, interruptAfterParts: parts, interruption: .truncateMidPart)
    }

    /// A chat stream whose first event is not JSON; or a transcription answer that is not JSON.
    public static func invalidJSON(for endpoint: WireEndpoint) -> WireBehavior {
        switch endpoint {
        case .chatCompletions: return WireBehavior(.rawEvents(["{\"id\":\"chatcmpl-x\",\"choices\":[{\"delta\":{\"content\":"]))
        case .transcriptions, .speech, .models:
            return WireBehavior(.raw(status: 200, contentType: "application/json", body: Array("{\"text\": \"unterminated".utf8)))
        }
    }

    /// The normal answer after a slow first byte.
    public static func slowFirstByte(_ delay: Duration, body: Body = .success) -> WireBehavior {
        WireBehavior(body, headDelay: delay)
    }

    // MARK: Hostile answers (issue 13)

    /// A `200` with an HTML page (a proxy's error page), for any endpoint.
    public static let htmlPage = WireBehavior(
        .raw(status: 200, contentType: "text/html; charset=utf-8", body: Array("<html><body><h1>502 Bad Gateway</h1></body></html>".utf8))
    )

    /// A chat stream whose first line never ends: `data: {"choices":…"content":"` followed by
    /// `bytes` of `a` and no line break.
    public static func giantSSELine(bytes: Int) -> WireBehavior {
        let part = [UInt8](repeating: 0x61, count: 64 * 1024)
        return WireBehavior(.repeated(
            contentType: "text/event-stream",
            prefix: Array("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"".utf8),
            part: part, count: max(1, bytes / part.count)
        ))
    }

    /// A chat stream that never finishes: a text delta `content` repeated until the client
    /// goes away (an empty `content` sends deltas without text).
    public static func endlessDeltas(content: String = "la ") -> WireBehavior {
        let delta = content.isEmpty ? "{}" : "{\"content\":\(JSONText.string(content))}"
        let head = "data: {\"id\":\"chatcmpl-endless\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
        let tail = ",\"finish_reason\":null}]}\n\n"
        let event = head + delta + tail
        return WireBehavior(.repeated(
            contentType: "text/event-stream",
            prefix: Array((head + "{\"role\":\"assistant\",\"content\":\"\"}" + tail).utf8),
            part: Array(String(repeating: event, count: 16).utf8), count: nil
        ))
    }

    /// A speech answer of `bytes` of PCM (a 440 Hz tone in 100 ms parts), generated as it is sent.
    public static func hugeSpeech(bytes: Int) -> WireBehavior {
        let part = ToneGenerator.pcm16(frequency: 440, milliseconds: 100, sampleRate: 24_000)
        return WireBehavior(.repeated(contentType: "application/octet-stream", prefix: [], part: part, count: max(1, bytes / max(1, part.count))))
    }
}
