import Foundation
import SpeechServices

/// A conformance kit any provider implementation can run from its own tests.
///
/// Each check exercises the provider and returns the list of violations (empty means the
/// provider behaves as the resilience layer and the call engine expect):
/// `#expect(await ProviderConformance.checkLanguageModel(model).isEmpty)`.
public enum ProviderConformance {
    /// Checks a language model: a plain request streams text and exactly one finish reason
    /// with no output after it; a tool request (if `toolRequest` is given) yields complete
    /// tool calls whose arguments are JSON objects and whose deltas match the assembled calls;
    /// stopping iteration early returns.
    public static func checkLanguageModel(
        _ model: any LanguageModel,
        request: ChatRequest = ChatRequest(messages: [.system("You are terse."), .user("Say hello.")]),
        toolRequest: ChatRequest? = nil,
        context: ProviderCallContext = ProviderCallContext(callSID: "conformance")
    ) async -> [String] {
        var violations = checkDescriptor(model.descriptor)
        do {
            let events = try await model.stream(request, context: context).collect()
            violations += checkEventOrder(events, label: "plain request")
            let text = events.compactMap { event -> String? in
                if case .textDelta(let text) = event { return text }
                return nil
            }.joined()
            if text.isEmpty { violations.append("plain request: no text was streamed") }
        } catch {
            violations.append("plain request failed: \(error)")
        }
        if let toolRequest {
            do {
                let events = try await model.stream(toolRequest, context: context).collect()
                violations += checkEventOrder(events, label: "tool request")
                var assembler = ToolCallAssembler()
                var calls: [ToolCall] = []
                for event in events {
                    switch event {
                    case .toolCallDelta(let delta): assembler.add(delta)
                    case .toolCall(let call): calls.append(call)
                    default: break
                    }
                }
                if calls.isEmpty { violations.append("tool request: no complete tool call was emitted") }
                if !assembler.isEmpty, let assembled = try? assembler.finish(provider: model.descriptor.name), assembled != calls {
                    violations.append("tool request: tool-call deltas do not assemble into the emitted calls")
                }
                for call in calls {
                    if call.id.isEmpty || call.name.isEmpty { violations.append("tool call without id or name") }
                    let parsed = try? JSONSerialization.jsonObject(with: Data(call.argumentsJSON.utf8))
                    if !(parsed is [String: Any]) { violations.append("tool call \(call.name): arguments are not a JSON object") }
                }
                if !events.contains(.finished(.toolCalls)) { violations.append("tool request: finish reason is not tool_calls") }
            } catch {
                violations.append("tool request failed: \(error)")
            }
        }
        do {
            var iterator = model.stream(request, context: context).makeAsyncIterator()
            _ = try await iterator.next()
        } catch {
            violations.append("early stop: first event failed: \(error)")
        }
        return violations
    }

    /// Checks a TTS provider: chunks are non-empty, hold whole sample frames, carry the
    /// declared format, and add up to some audio; stopping early returns.
    public static func checkTextToSpeech(
        _ tts: any TextToSpeech,
        request: SpeechSynthesisRequest = SpeechSynthesisRequest(text: "Thanks for calling. How can I help?"),
        context: ProviderCallContext = ProviderCallContext(callSID: "conformance")
    ) async -> [String] {
        var violations = checkDescriptor(tts.descriptor)
        let declared = tts.outputFormat(for: request)
        if declared.sampleRate <= 0 || declared.channels <= 0 { violations.append("declared format \(declared) is invalid") }
        if tts.resolvedVoice(for: request).isEmpty { violations.append("resolved voice is empty") }
        do {
            let chunks = try await tts.synthesize(request, context: context).collect()
            if chunks.isEmpty { violations.append("no audio chunks") }
            for (index, chunk) in chunks.enumerated() {
                if chunk.bytes.isEmpty { violations.append("chunk \(index) is empty") }
                if chunk.format != declared { violations.append("chunk \(index) has format \(chunk.format), declared \(declared)") }
                if chunk.bytes.count % max(1, chunk.format.bytesPerFrame) != 0 {
                    violations.append("chunk \(index) holds \(chunk.bytes.count) bytes, not whole frames of \(chunk.format.bytesPerFrame)")
                }
            }
        } catch {
            violations.append("synthesis failed: \(error)")
        }
        do {
            var iterator = tts.synthesize(request, context: context).makeAsyncIterator()
            _ = try await iterator.next()
        } catch {
            violations.append("early stop: first chunk failed: \(error)")
        }
        return violations
    }

    /// Checks an STT provider: the transcript is non-empty (and contains `expectedText`,
    /// case-insensitively, when given) and a reported confidence lies in 0...1.
    public static func checkSpeechToText(
        _ stt: any SpeechToText,
        request: TranscriptionRequest,
        expectedText: String? = nil,
        context: ProviderCallContext = ProviderCallContext(callSID: "conformance")
    ) async -> [String] {
        var violations = checkDescriptor(stt.descriptor)
        do {
            let transcript = try await stt.transcribe(request, context: context)
            if transcript.text.isEmpty { violations.append("empty transcript") }
            if let expectedText, !transcript.text.lowercased().contains(expectedText.lowercased()) {
                violations.append("transcript \"\(transcript.text)\" does not contain \"\(expectedText)\"")
            }
            if let confidence = transcript.confidence, !(0...1).contains(confidence) {
                violations.append("confidence \(confidence) outside 0...1")
            }
        } catch {
            violations.append("transcription failed: \(error)")
        }
        return violations
    }

    private static func checkDescriptor(_ descriptor: ProviderDescriptor) -> [String] {
        var violations: [String] = []
        if descriptor.name.isEmpty { violations.append("descriptor name is empty") }
        if descriptor.model.isEmpty { violations.append("descriptor model is empty") }
        return violations
    }

    private static func checkEventOrder(_ events: [LLMEvent], label: String) -> [String] {
        var violations: [String] = []
        let finishIndices = events.indices.filter {
            if case .finished = events[$0] { return true }
            return false
        }
        if finishIndices.count != 1 {
            violations.append("\(label): expected exactly one finish reason, got \(finishIndices.count)")
        }
        if let finish = finishIndices.first, events[(finish + 1)...].contains(where: \.isOutput) {
            violations.append("\(label): output after the finish reason")
        }
        return violations
    }
}
