import CallEngine

/// One bot as written in the bots JSON file (`BOTS_FILE`). Durations are in milliseconds or
/// seconds as the key names say; every field but `id` and `systemPrompt` is optional.
///
///     { "bots": [ { "id": "demo", "systemPrompt": "You are…", "greeting": "Hello!",
///                   "vad": { "stopHangoverMs": 700 },
///                   "idle": { "prompt": "Are you still there?", "timeoutSeconds": 10 } } ] }
public struct BotDefinition: Sendable, Hashable, Codable {
    /// Idle-prompt settings.
    public struct Idle: Sendable, Hashable, Codable {
        /// The prompt said after `timeoutSeconds` of caller silence.
        public var prompt: String?
        /// Caller silence before the prompt, in seconds.
        public var timeoutSeconds: Double?
        /// Prompts before the agent says goodbye.
        public var maximumPrompts: Int?
    }

    /// Barge-in settings.
    public struct BargeIn: Sendable, Hashable, Codable {
        /// Whether the caller can interrupt.
        public var enabled: Bool?
        /// Speech needed before interrupting, in milliseconds.
        public var minimumSpeechMs: Int?
        /// Words of a short utterance needed to interrupt.
        public var minimumWords: Int?
    }

    /// Voice-activity settings.
    public struct VAD: Sendable, Hashable, Codable {
        /// Silence that ends an utterance, in milliseconds.
        public var stopHangoverMs: Int?
        /// Speech that starts an utterance, in milliseconds.
        public var startHangoverMs: Int?
        /// Pause inside an utterance after which STT starts speculatively, in milliseconds
        /// (0 turns speculation off; default 200).
        public var speculationMs: Int?
    }

    /// The id in `/ws/{botId}` and `/twiml/{botId}`.
    public var id: String
    /// The language model's system prompt.
    public var systemPrompt: String
    /// First line; nil starts by listening.
    public var greeting: String?
    /// TTS voice.
    public var voice: String?
    /// STT language hint (ISO 639-1).
    public var language: String?
    /// Said before hanging up.
    public var goodbye: String?
    /// Said when providers fail.
    public var apology: String?
    /// Idle prompts.
    public var idle: Idle?
    /// Barge-in.
    public var bargeIn: BargeIn?
    /// Voice activity.
    public var vad: VAD?
    /// Lead fields the model may fill with `update_lead`.
    public var leadFields: [LeadField]?
    /// Longest call in seconds.
    public var maximumDurationSeconds: Int?
    /// LLM temperature.
    public var temperature: Double?
    /// Where `transfer_call` may send the caller (see ``BotCallOptions/Transfer``).
    public var transfer: BotCallOptions.Transfer?
    /// What to do when an answering machine answers (see ``BotCallOptions/Voicemail``).
    public var voicemail: BotCallOptions.Voicemail?

    /// The telephony options (transfer, voicemail), checked.
    public func callOptions() throws(WorkerConfigurationError) -> BotCallOptions {
        let options = BotCallOptions(transfer: transfer, voicemail: voicemail)
        try options.validate(botID: id)
        return options
    }

    /// Checks the values and builds the engine configuration.
    /// - Parameter recordingDirectory: where recordings go, if recording is on.
    public func engineConfiguration(recordingDirectory: String?) throws(WorkerConfigurationError) -> CallEngineConfiguration {
        func fail(_ reason: String) -> WorkerConfigurationError { .invalidBot(id: id, reason: reason) }
        guard !systemPrompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw fail("systemPrompt is empty") }
        var configuration = CallEngineConfiguration(
            systemPrompt: systemPrompt,
            greeting: greeting.flatMap { $0.isEmpty ? nil : $0 },
            voice: voice,
            language: language,
            recordingDirectory: recordingDirectory
        )
        if let goodbye {
            guard !goodbye.isEmpty else { throw fail("goodbye is empty") }
            configuration.goodbye = goodbye
        }
        if let apology {
            guard !apology.isEmpty else { throw fail("apology is empty") }
            configuration.apology = apology
        }
        if let idle {
            if let prompt = idle.prompt {
                guard !prompt.isEmpty else { throw fail("idle.prompt is empty") }
                configuration.idle.prompt = prompt
            }
            if let seconds = idle.timeoutSeconds {
                guard seconds >= 1, seconds <= 600 else { throw fail("idle.timeoutSeconds must be in 1...600") }
                configuration.idle.timeout = .milliseconds(Int(seconds * 1000))
            }
            if let prompts = idle.maximumPrompts {
                guard (0...10).contains(prompts) else { throw fail("idle.maximumPrompts must be in 0...10") }
                configuration.idle.maximumPrompts = prompts
            }
        }
        if let bargeIn {
            if let enabled = bargeIn.enabled { configuration.bargeIn.enabled = enabled }
            if let ms = bargeIn.minimumSpeechMs {
                guard (0...5000).contains(ms) else { throw fail("bargeIn.minimumSpeechMs must be in 0...5000") }
                configuration.bargeIn.minimumSpeech = .milliseconds(ms)
            }
            if let words = bargeIn.minimumWords {
                guard (0...20).contains(words) else { throw fail("bargeIn.minimumWords must be in 0...20") }
                configuration.bargeIn.minimumWords = words
            }
        }
        if let vad {
            if let ms = vad.stopHangoverMs {
                guard (100...5000).contains(ms) else { throw fail("vad.stopHangoverMs must be in 100...5000") }
                configuration.voiceActivity.segmenter.stopHangover = .milliseconds(ms)
            }
            if let ms = vad.startHangoverMs {
                guard (20...2000).contains(ms) else { throw fail("vad.startHangoverMs must be in 20...2000") }
                configuration.voiceActivity.segmenter.startHangover = .milliseconds(ms)
            }
            if let ms = vad.speculationMs {
                guard ms == 0 || (60...5000).contains(ms) else { throw fail("vad.speculationMs must be 0 (off) or in 60...5000") }
                configuration.speculation.enabled = ms > 0
                if ms > 0 { configuration.speculation.silence = .milliseconds(ms) }
            }
        }
        if let leadFields {
            var seen = Set<String>()
            for field in leadFields {
                guard !field.name.isEmpty, seen.insert(field.name).inserted else {
                    throw fail("lead field names must be non-empty and unique (\"\(field.name)\")")
                }
                if field.type == .choice, field.allowedValues.isEmpty {
                    throw fail("lead field \"\(field.name)\" of type choice needs allowedValues")
                }
            }
            configuration.leadSchema = leadFields
        }
        if let seconds = maximumDurationSeconds {
            guard (10...14_400).contains(seconds) else { throw fail("maximumDurationSeconds must be in 10...14400") }
            configuration.limits.maximumDuration = .seconds(seconds)
        }
        if let temperature {
            guard (0...2).contains(temperature) else { throw fail("temperature must be in 0...2") }
            configuration.temperature = temperature
        }
        return configuration
    }
}
