import CallAudio
import CallTesting
import SpeechServices
import Testing

@Suite("Provider conformance kit", .timeLimit(.minutes(2)))
struct ConformanceKitTests {
    @Test("scripted providers conform")
    func scriptedProvidersConform() async {
        let model = ScriptedLanguageModel()
        model.enqueue(ScriptedLanguageModel.reply("Hello there."), ScriptedLanguageModel.toolCall(name: "book", argumentsJSON: "{\"day\":\"monday\"}"))
        #expect(await ProviderConformance.checkLanguageModel(model, toolRequest: ChatRequest(messages: [.user("book monday")])) == [])
        #expect(await ProviderConformance.checkTextToSpeech(ScriptedTextToSpeech()) == [])
        #expect(await ProviderConformance.checkSpeechToText(
            ScriptedSpeechToText(defaultText: "Book me in"), request: TranscriptionRequest(samples: [0, 0], sampleRate: 8000), expectedText: "book"
        ) == [])
    }

    @Test("the kit catches a misbehaving provider")
    func catchesViolations() async {
        let model = ScriptedLanguageModel()
        model.setDefault(ScriptedResponse(elements: [.finished(.stop), .textDelta("late"), .finished(.stop)]))
        let violations = await ProviderConformance.checkLanguageModel(model)
        #expect(violations.contains { $0.contains("exactly one finish reason") })
        #expect(violations.contains { $0.contains("output after the finish reason") })
        let tts = ScriptedTextToSpeech()
        tts.enqueue(ScriptedResponse(elements: [AudioChunk(format: .pcm24k, bytes: [1, 2, 3])]))
        let ttsViolations = await ProviderConformance.checkTextToSpeech(tts)
        #expect(ttsViolations.contains { $0.contains("not whole frames") })
    }
}
