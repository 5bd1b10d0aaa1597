import Foundation
import SpeechServices

/// Usage, cost, errors, providers, turn timings and phase transitions of one call: what the
/// ``CallResult`` is made of besides the conversation. Pure value, owned by the state machine.
struct CallAccounting: Sendable {
    /// Most errors kept in the result.
    static let maximumErrors = 200
    /// Most completed turn timings kept.
    static let maximumTimings = 1000

    private(set) var usage = CallUsage()
    private(set) var errors: [String] = []
    private(set) var servedBy: [String: String] = [:]
    private(set) var completedTimings: [TurnTimings] = []
    private var timings: [Int: TurnTimings] = [:]
    /// Where the call was transferred, if it was.
    var transferTarget: String?

    /// Records an error; returns false when the list is full (the error is still logged).
    @discardableResult
    mutating func record(error message: String) -> Bool {
        guard errors.count < Self.maximumErrors else { return false }
        errors.append(message)
        return true
    }

    /// Starts timing turn `id`.
    mutating func beginTimings(_ id: Int, _ value: TurnTimings = TurnTimings()) {
        timings[id] = value
    }

    /// Sets a stage time of turn `id` once (the first report wins).
    mutating func note(_ id: Int, _ keyPath: WritableKeyPath<TurnTimings, Duration?>, at time: Duration) {
        guard timings[id] != nil, timings[id]?[keyPath: keyPath] == nil else { return }
        timings[id]?[keyPath: keyPath] = time
    }

    /// Turn `id` ended: returns its timings when it reached the caller (they count).
    mutating func endTimings(_ id: Int) -> TurnTimings? {
        guard let value = timings.removeValue(forKey: id), value.firstAudioOut != nil else { return nil }
        completedTimings.append(value)
        if completedTimings.count > Self.maximumTimings { completedTimings.removeFirst() }
        return value
    }

    /// An STT request of `seconds` of audio completed (or, speculative, was cut short).
    mutating func transcribed(seconds: Double, servedBy descriptor: ProviderDescriptor?, speculative: Bool) {
        usage.sttRequests += 1
        usage.sttAudioSeconds += seconds
        if speculative { usage.sttSpeculativeRequests += 1 }
        if let descriptor { servedBy["stt"] = descriptor.description }
    }

    /// A speculative request of `seconds` of audio was not used.
    mutating func speculationWasted(seconds: Double) {
        usage.sttSpeculativeWasted += 1
        usage.sttSpeculativeWastedSeconds += seconds
    }

    /// The short-audio filter saved an STT request.
    mutating func sttSaved() { usage.sttRequestsSaved += 1 }

    /// An utterance was not transcribed: the call's STT budget for the minute was used.
    mutating func sttThrottled() { usage.sttRequestsThrottled += 1 }

    /// The transport dropped `count` caller media frames (a flood).
    mutating func mediaFramesDropped(_ count: Int) { usage.mediaFramesDropped += max(0, count) }

    /// Model tokens and TTS characters.
    mutating func add(tokens: TokenUsage?, ttsCharacters: Int, cacheHit: Bool, served: (String, ProviderDescriptor)?) {
        if let tokens {
            usage.llmInputTokens += max(0, tokens.promptTokens)
            usage.llmOutputTokens += max(0, tokens.completionTokens)
        }
        usage.ttsCharacters += ttsCharacters
        if cacheHit { usage.ttsCacheHits += 1 }
        if let (stage, descriptor) = served { servedBy[stage] = descriptor.description }
    }

    /// The result of the call so far.
    func result(
        identity: CallIdentity, startedAt: Date, endedAt: Date, endReason: CallEndReason,
        history: ConversationHistory, lead: LeadData, phases: [PhaseMachine.Transition], prices: ProviderPrices
    ) -> CallResult {
        CallResult(
            identity: identity, startedAt: startedAt, endedAt: endedAt, endReason: endReason,
            transcript: history.entries, lead: lead.values, turns: completedTimings, usage: usage,
            estimatedCost: usage.cost(prices), errors: errors, providers: servedBy, phases: phases,
            transferTarget: transferTarget
        )
    }
}
