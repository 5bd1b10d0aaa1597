import SpeechServices

/// A ``SpeechToText`` that plays scripted transcripts, latencies and failures.
public final class ScriptedSpeechToText: SpeechToText {
    /// Name and model reported to the resilience layer.
    public let descriptor: ProviderDescriptor
    private let clock: any ResilienceClock
    private let script: ScriptQueue<ScriptedResponse<Transcript>, TranscriptionRequest>

    /// Creates a scripted recogniser answering `defaultText` by default.
    public init(
        name: String = "scripted-stt",
        model: String = "scripted",
        defaultText: String = "I would like to book an appointment.",
        clock: any ResilienceClock = SystemResilienceClock()
    ) {
        descriptor = ProviderDescriptor(name: name, model: model)
        self.clock = clock
        script = ScriptQueue(default: ScriptedResponse(elements: [Transcript(text: defaultText, language: "en")]))
    }

    /// A response with one transcript after `latency`.
    public static func transcript(_ text: String, latency: Duration = .zero) -> ScriptedResponse<Transcript> {
        ScriptedResponse(elements: [Transcript(text: text, language: "en")], firstElementDelay: latency)
    }

    /// Queues responses for the next calls.
    public func enqueue(_ responses: ScriptedResponse<Transcript>...) {
        script.enqueue(responses)
    }

    /// Requests received so far, in order.
    public var requests: [TranscriptionRequest] { script.requests }
    /// Number of calls received.
    public var callCount: Int { script.requests.count }

    /// Plays the next response and returns its first transcript.
    public func transcribe(_ request: TranscriptionRequest, context: ProviderCallContext) async throws(ProviderError) -> Transcript {
        let response = script.next(for: request)
        let stream = ProviderStream<Transcript>(provider: descriptor.name) { [clock, descriptor] continuation throws(ProviderError) in
            try await response.play(into: continuation, clock: clock, provider: descriptor.name)
        }
        guard var transcript = try await stream.collect().first else {
            throw ProviderError(.malformedResponse, provider: descriptor.name, message: "scripted response had no transcript")
        }
        if transcript.duration == nil { transcript.duration = request.duration }
        return transcript
    }
}
