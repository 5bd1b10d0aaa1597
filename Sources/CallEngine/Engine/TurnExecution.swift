import CallAudio
import SpeechServices
import VoiceActivity

/// The work of one turn, run in a child task of ``CallConversation/run()``. These functions
/// are not actor-isolated: provider streaming and audio conversion run off the actor and
/// report back through short isolated calls.
extension CallConversation {
    private enum Outcome: Sendable {
        case finished((CallStatistics.Stage, ProviderError)?)
        case cancelled
    }

    nonisolated func execute(_ request: TurnRequest) async {
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask { .finished(await self.perform(request)) }
            group.addTask {
                await request.signal.wait()
                return .cancelled
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
        if case .finished(let failure) = outcome {
            await turnEnded(request.id, failure: failure)
        } else {
            await turnEnded(request.id, failure: nil)
        }
    }

    private nonisolated func context(_ served: ServedProvider) -> ProviderCallContext {
        ProviderCallContext(callSID: identity.callID, logger: logger) { served.set($0) }
    }

    private nonisolated func perform(_ request: TurnRequest) async -> (CallStatistics.Stage, ProviderError)? {
        let id = request.id
        switch request.work {
        case .say(let text, let kind):
            let speaker: TurnSpeaker
            do {
                speaker = try TurnSpeaker(format: textToSpeech.outputFormat(for: SpeechSynthesisRequest(text: text, voice: configuration.voice)))
            } catch {
                return (.tts, ProviderError(.malformedResponse, provider: textToSpeech.descriptor.name, message: "\(error)"))
            }
            return await speak(text, kind: kind, turn: id, speaker: speaker).failure
        case .transcribeAndReply(let utterance):
            let stt = await transcribe(utterance)
            guard let transcript = stt.transcript else { return stt.failure }
            guard let messages = await transcribed(id, utterance: utterance, transcript: transcript, descriptor: stt.servedBy) else { return nil }
            return await reply(id, messages: messages)
        case .speculate(let utterance):
            let stt = await transcribe(utterance)
            guard let transcript = stt.transcript else { return stt.failure }
            guard let messages = await speculated(id, transcript: transcript, descriptor: stt.servedBy) else { return nil }
            return await reply(id, messages: messages)
        case .checkInterruption(let utterance):
            let stt = await transcribe(utterance)
            guard let transcript = stt.transcript else { return stt.failure }
            await interruptionChecked(id, utterance: utterance, transcript: transcript)
            return nil
        case .reply:
            return await reply(id, messages: currentMessages())
        }
    }

    /// STT for `utterance`: the transcript and who served it, or the failure (nil when cancelled).
    private nonisolated func transcribe(
        _ utterance: Utterance
    ) async -> (transcript: Transcript?, servedBy: ProviderDescriptor, failure: (CallStatistics.Stage, ProviderError)?) {
        let served = ServedProvider()
        let request = TranscriptionRequest(samples: utterance.samples, sampleRate: utterance.sampleRate, language: configuration.language)
        do {
            let transcript = try await providers.speechToText.transcribe(request, context: context(served))
            return (transcript, served.descriptor ?? providers.speechToText.descriptor, nil)
        } catch {
            return (nil, providers.speechToText.descriptor, error.kind == .cancelled ? nil : (.stt, error))
        }
    }

    /// Streams the model's answer, speaking each sentence as soon as it is complete, and
    /// runs tool rounds.
    private nonisolated func reply(_ id: Int, messages initial: [ChatMessage]) async -> (CallStatistics.Stage, ProviderError)? {
        let probe = SpeechSynthesisRequest(text: "", voice: configuration.voice)
        let speaker: TurnSpeaker
        do {
            speaker = try TurnSpeaker(format: textToSpeech.outputFormat(for: probe))
        } catch {
            return (.tts, ProviderError(.malformedResponse, provider: textToSpeech.descriptor.name, message: "\(error)"))
        }
        var messages = initial
        for _ in 0...configuration.limits.maximumToolRounds {
            var chunker = SentenceChunker()
            var toolCalls: [ToolCall] = []
            var text = ""
            var tokens: TokenUsage?
            let served = ServedProvider()
            let request = ChatRequest(
                messages: messages, tools: toolDefinitions,
                temperature: configuration.temperature, maxTokens: configuration.maximumReplyTokens
            )
            do {
                for try await event in providers.languageModel.stream(request, context: context(served)) {
                    switch event {
                    case .textDelta(let delta):
                        await noteTiming(id, \.llmFirstToken)
                        text += delta
                        for sentence in chunker.append(delta) {
                            let outcome = await speak(sentence, kind: .reply, turn: id, speaker: speaker)
                            guard case .spoken = outcome else { return outcome.failure }
                        }
                    case .toolCall(let call):
                        await noteTiming(id, \.llmFirstToken)
                        toolCalls.append(call)
                    case .usage(let usage):
                        tokens = usage
                    case .toolCallDelta, .finished:
                        break
                    }
                }
            } catch {
                return error.kind == .cancelled ? nil : (.llm, error)
            }
            await noteUsage(tokens: tokens, ttsCharacters: 0, cacheHit: false, served: ("llm", served.descriptor ?? providers.languageModel.descriptor))
            for sentence in chunker.finish() {
                let outcome = await speak(sentence, kind: .reply, turn: id, speaker: speaker)
                guard case .spoken = outcome else { return outcome.failure }
            }
            guard !toolCalls.isEmpty else { return nil }
            guard let next = await runTools(id, calls: toolCalls) else { return nil }
            messages = next
        }
        return nil
    }

    /// How speaking one sentence went.
    private enum SpeakOutcome {
        /// Queued (or nothing to say).
        case spoken
        /// The turn was cancelled (barge-in, call end): produce nothing more.
        case stopped
        /// TTS failed after its resilience wrappers.
        case failed(CallStatistics.Stage, ProviderError)

        var failure: (CallStatistics.Stage, ProviderError)? {
            if case .failed(let stage, let error) = self { return (stage, error) }
            return nil
        }
    }

    /// Synthesizes one sentence and queues its audio, then a mark.
    private nonisolated func speak(_ text: String, kind: AgentTurn.Kind, turn id: Int, speaker: TurnSpeaker) async -> SpeakOutcome {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return .spoken }
        guard !Task.isCancelled, await isActive(id) else { return .stopped }
        await noteTiming(id, \.firstSentence)
        let request = SpeechSynthesisRequest(text: trimmed, voice: configuration.voice)
        let cacheHit = providers.ttsCache.map { $0.contains(TTSCacheKey(request: request, tts: providers.textToSpeech)) } ?? false
        let served = ServedProvider()
        var queuedAny = false
        do {
            for try await chunk in textToSpeech.synthesize(request, context: context(served)) {
                await noteTiming(id, \.ttsFirstByte)
                let audio = try speaker.convert(chunk)
                guard !audio.samples.isEmpty else { continue }
                guard await play(id, kind: kind, audio: audio) else { return .stopped }
                queuedAny = true
                do {
                    try await transport.waitForPlaybackBacklog(below: configuration.playbackLead)
                } catch {
                    return .stopped
                }
            }
            guard !Task.isCancelled else { return .stopped }
            let tail = speaker.finish()
            if !tail.samples.isEmpty {
                guard await play(id, kind: kind, audio: tail) else { return .stopped }
                queuedAny = true
            }
        } catch let error as ProviderError {
            speaker.reset()
            return error.kind == .cancelled || Task.isCancelled ? .stopped : .failed(.tts, error)
        } catch {
            speaker.reset()
            return .failed(.tts, ProviderError(.malformedResponse, provider: textToSpeech.descriptor.name, message: "TTS audio unusable: \(error)"))
        }
        await noteUsage(
            tokens: nil, ttsCharacters: cacheHit ? 0 : trimmed.count, cacheHit: cacheHit,
            served: cacheHit ? nil : ("tts", served.descriptor ?? providers.textToSpeech.descriptor)
        )
        if queuedAny {
            guard await sentenceQueued(id, text: trimmed) else { return .stopped }
        }
        return .spoken
    }
}
