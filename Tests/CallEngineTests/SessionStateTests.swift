import SpeechServices
import Testing

@testable import CallEngine

@Suite("Session state")
struct SessionStateTests {
    @Test("phase machine accepts the documented path and rejects illegal transitions")
    func phases() throws {
        var machine = PhaseMachine()
        for (step, next) in [CallPhase.greeting, .listening, .callerSpeaking, .thinking, .speaking, .listening, .ending, .ended].enumerated() {
            try machine.transition(to: next, at: .milliseconds(step * 100))
        }
        #expect(machine.transitions.count == 8)
        #expect(machine.transitions[3] == .init(from: .callerSpeaking, to: .thinking, at: .milliseconds(300)))
        #expect(throws: CallEngineError.illegalTransition(from: .ended, to: .listening)) {
            try machine.transition(to: .listening, at: .seconds(1))
        }
        var fresh = PhaseMachine()
        #expect(throws: CallEngineError.illegalTransition(from: .connecting, to: .speaking)) {
            try fresh.transition(to: .speaking, at: .zero)
        }
    }

    @Test("every phase can reach ending, and ended is terminal")
    func endings() {
        for phase in CallPhase.allCases where phase != .ended && phase != .ending {
            #expect(phase.allowedNext.contains(.ending))
        }
        #expect(CallPhase.ended.allowedNext.isEmpty)
    }

    @Test("lead fields are validated and normalised; a bad batch changes nothing")
    func lead() throws {
        let schema = [
            LeadField(name: "name", type: .text), LeadField(name: "age", type: .number),
            LeadField(name: "phone", type: .phone), LeadField(name: "email", type: .email),
            LeadField(name: "plan", type: .choice, allowedValues: ["Basic", "Premium"]), LeadField(name: "consent", type: .boolean),
        ]
        var lead = LeadData()
        try lead.apply(["name": " Ada ", "age": "36", "phone": "+1 (415) 555-0100", "email": "Ada@Example.com", "plan": "premium", "consent": "yes"], schema: schema)
        #expect(lead.values == ["name": "Ada", "age": "36", "phone": "+14155550100", "email": "ada@example.com", "plan": "Premium", "consent": "true"])
        #expect(throws: CallEngineError.invalidLeadField(name: "age", reason: "not a number: old")) {
            try lead.apply(["name": "Bob", "age": "old"], schema: schema)
        }
        #expect(lead.values["name"] == "Ada")
        #expect(throws: CallEngineError.self) { try lead.apply(["colour": "red"], schema: schema) }
    }

    @Test("the model's context holds what the caller heard, not what was generated")
    func historyContext() {
        var history = ConversationHistory()
        history.append(.caller(CallerTurn(text: "Hi", speechStart: .zero, speechEnd: .seconds(1))))
        history.append(.agent(AgentTurn(kind: .reply, generated: ["One.", "Two.", "Three."], playedChunks: 1, interrupted: true, startedAt: .seconds(2))))
        history.append(.agent(AgentTurn(kind: .idlePrompt, generated: ["Are you still there?"], playedChunks: 1, startedAt: .seconds(3))))
        let messages = history.chatMessages(systemPrompt: "sys", lead: LeadData())
        #expect(messages.map(\.content) == ["sys", "Hi", "One. [interrupted by the caller]"])
    }

    @Test("cost estimate from usage and prices")
    func cost() {
        var usage = CallUsage()
        usage.sttAudioSeconds = 120
        usage.llmInputTokens = 1_000_000
        usage.llmOutputTokens = 500_000
        usage.ttsCharacters = 2000
        let prices = ProviderPrices(sttPerMinute: 0.006, llmInputPerMillionTokens: 0.15, llmOutputPerMillionTokens: 0.6, ttsPerMillionCharacters: 15)
        #expect(abs(usage.cost(prices) - (0.012 + 0.15 + 0.3 + 0.03)) < 1e-9)
    }

    @Test("metrics document percentiles and counts")
    func metricsDocument() {
        let statistics = CallStatistics()
        statistics.callStarted()
        for ms in 1...100 {
            var timings = TurnTimings()
            timings.callerSpeechEnded = .zero
            timings.firstAudioOut = .milliseconds(ms * 10)
            statistics.turnCompleted(timings)
        }
        let document = statistics.document()
        #expect(document.calls.active == 1)
        #expect(document.pipeline.replyLatencyMs.p50 == 510)
        #expect(document.pipeline.replyLatencyMs.p99 == 990)
        #expect(document.pipeline.replyLatencyMs.samples == 100)
    }
}
