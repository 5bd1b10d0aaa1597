import SpeechServices
import VoiceActivity

/// How a call behaves: prompts, lines, policies and limits. One per bot.
public struct CallEngineConfiguration: Sendable {
    /// The language model's system prompt.
    public var systemPrompt: String
    /// The first thing the agent says; `nil` starts by listening.
    public var greeting: String?
    /// TTS voice (`nil` = the provider's default).
    public var voice: String?
    /// Language hint for STT (ISO 639-1, e.g. "en").
    public var language: String?
    /// Said before hanging up (`end_call`, idle, limits).
    public var goodbye: String
    /// Said when a provider fails after its retries and fallbacks.
    public var apology: String
    /// Provider failures in a row after which the agent says goodbye and hangs up.
    public var maximumConsecutiveFailures: Int
    /// Silence handling.
    public var idle: IdlePolicy
    /// Interruption handling.
    public var bargeIn: BargeInPolicy
    /// Voice-activity detection settings (20 ms frames at ``sampleRate``).
    public var voiceActivity: VoiceActivityConfiguration
    /// Fields the model may set with `update_lead`.
    public var leadSchema: [LeadField]
    /// Keypad handling.
    public var dtmf: DTMFPolicy
    /// Call limits.
    public var limits: CallLimits
    /// Prices for the cost estimate.
    public var prices: ProviderPrices
    /// LLM sampling temperature.
    public var temperature: Double?
    /// LLM completion token limit per reply.
    public var maximumReplyTokens: Int?
    /// How far TTS may run ahead of playback.
    public var playbackLead: Duration
    /// Transcripts treated as noise (no LLM call), compared lower-cased without punctuation.
    public var junkTranscripts: Set<String>
    /// When set, both legs are recorded to `<directory>/<storageName>.wav` (stereo PCM16 at
    /// the engine's rate: left caller, right agent).
    public var recordingDirectory: String?
    /// Most characters of conversation sent to the language model; older messages are left
    /// out beyond it (see ``ConversationHistory/chatMessages(systemPrompt:lead:budget:)``).
    public var contextBudget: Int
    /// Speculative transcription for batch STT.
    public var speculation: SpeculationPolicy
    /// The engine's audio rate (8000 or 16000 Hz): caller frames arrive as PCM16 at this rate
    /// and VAD and STT run at it. The carrier adapter converts its codec to it.
    public var sampleRate: Int

    /// Creates a configuration with telephony defaults.
    public init(
        systemPrompt: String,
        greeting: String? = nil,
        voice: String? = nil,
        language: String? = nil,
        goodbye: String = "Thank you for calling. Goodbye!",
        apology: String = "Sorry, I'm having trouble hearing you. Could you repeat that?",
        maximumConsecutiveFailures: Int = 3,
        idle: IdlePolicy = IdlePolicy(),
        bargeIn: BargeInPolicy = BargeInPolicy(),
        voiceActivity: VoiceActivityConfiguration = VoiceActivityConfiguration(),
        leadSchema: [LeadField] = [],
        dtmf: DTMFPolicy = DTMFPolicy(),
        limits: CallLimits = CallLimits(),
        prices: ProviderPrices = .openAIDefaults,
        temperature: Double? = nil,
        maximumReplyTokens: Int? = 300,
        playbackLead: Duration = .seconds(1),
        junkTranscripts: Set<String> = ["", "you", "thank you for watching", "bye bye", "uh", "um"],
        recordingDirectory: String? = nil,
        contextBudget: Int = 32_000,
        speculation: SpeculationPolicy = SpeculationPolicy(),
        sampleRate: Int = 8000
    ) {
        self.systemPrompt = systemPrompt
        self.greeting = greeting
        self.voice = voice
        self.language = language
        self.goodbye = goodbye
        self.apology = apology
        self.maximumConsecutiveFailures = maximumConsecutiveFailures
        self.idle = idle
        self.bargeIn = bargeIn
        self.voiceActivity = voiceActivity
        self.leadSchema = leadSchema
        self.dtmf = dtmf
        self.limits = limits
        self.prices = prices
        self.temperature = temperature
        self.maximumReplyTokens = maximumReplyTokens
        self.playbackLead = playbackLead
        self.junkTranscripts = junkTranscripts
        self.recordingDirectory = recordingDirectory
        self.contextBudget = contextBudget
        self.speculation = speculation
        self.sampleRate = sampleRate == 16000 ? 16000 : 8000
    }

    /// The phrases worth pre-warming in the TTS cache for this configuration.
    public var cacheablePhrases: [String] {
        [greeting, idle.prompt, apology, goodbye].compactMap { $0 }
    }
}

/// Speculative transcription: when the caller has paused for ``silence`` inside an utterance,
/// the audio so far goes to STT while the end-of-turn wait (the segmenter's stop hangover)
/// still runs. If the caller does not speak again, the transcript is ready (or nearly) when
/// the turn ends and the STT time is hidden; if they do, the result is dropped and counted
/// as wasted in ``CallUsage``.
public struct SpeculationPolicy: Sendable, Hashable {
    /// Whether to speculate.
    public var enabled: Bool
    /// Pause before the speculative request.
    public var silence: Duration

    /// Creates a policy (default: on, after 200 ms of silence).
    public init(enabled: Bool = true, silence: Duration = .milliseconds(200)) {
        self.enabled = enabled
        self.silence = silence
    }
}

/// What the agent does when the caller stays silent.
public struct IdlePolicy: Sendable, Hashable {
    /// Caller silence (while the agent is listening) before an idle prompt.
    public var timeout: Duration
    /// The prompt.
    public var prompt: String
    /// Prompts before the agent says goodbye and hangs up.
    public var maximumPrompts: Int

    /// Creates a policy (defaults: 10 s, "Are you still there?", 2 prompts).
    public init(timeout: Duration = .seconds(10), prompt: String = "Are you still there?", maximumPrompts: Int = 2) {
        self.timeout = timeout
        self.prompt = prompt
        self.maximumPrompts = maximumPrompts
    }
}

/// When caller speech interrupts the agent.
public struct BargeInPolicy: Sendable, Hashable {
    /// Whether the caller can interrupt at all.
    public var enabled: Bool
    /// Detected speech needed before interrupting. Shorter utterances are transcribed first
    /// and interrupt only when they are not backchannels.
    public var minimumSpeech: Duration
    /// Words of a short utterance needed to interrupt (0 = any non-backchannel).
    public var minimumWords: Int
    /// Short acknowledgements that never interrupt, compared lower-cased without punctuation.
    public var backchannels: Set<String>

    /// Creates a policy (defaults: 600 ms of speech, common English backchannels).
    public init(
        enabled: Bool = true,
        minimumSpeech: Duration = .milliseconds(600),
        minimumWords: Int = 0,
        backchannels: Set<String> = [
            "mhm", "mm", "mmhmm", "mm hmm", "uh huh", "uhhuh", "hmm", "yeah", "yes", "yep", "ok", "okay", "right", "sure", "i see", "got it", "alright",
        ]
    ) {
        self.enabled = enabled
        self.minimumSpeech = minimumSpeech
        self.minimumWords = minimumWords
        self.backchannels = backchannels
    }

    /// Whether `transcript` is only a backchannel.
    public func isBackchannel(_ transcript: String) -> Bool {
        backchannels.contains(CallEngineConfiguration.normalise(transcript))
    }
}

/// Keypad handling.
public struct DTMFPolicy: Sendable, Hashable {
    /// Pass digits to the language model as text.
    public var forwardToModel: Bool
    /// Digits are collected until this much time passes without a new one, or `#`.
    public var interDigitTimeout: Duration

    /// Creates a policy.
    public init(forwardToModel: Bool = true, interDigitTimeout: Duration = .seconds(2)) {
        self.forwardToModel = forwardToModel
        self.interDigitTimeout = interDigitTimeout
    }
}

/// Hard limits of one call.
public struct CallLimits: Sendable, Hashable {
    /// Longest call, on the wall clock.
    public var maximumDuration: Duration
    /// Longest wait for caller audio on the wall clock (carriers stream continuously, silence
    /// included): a stream that stops sending media ends with ``CallEndReason/mediaTimeout``.
    /// The default, 8 s, is 400 missed 20 ms frames; with the 1 s wall-clock tick a stuck
    /// stream's slot is free within 9 s.
    public var mediaTimeout: Duration
    /// Most caller turns.
    public var maximumTurns: Int
    /// Most tool rounds in one reply.
    public var maximumToolRounds: Int
    /// Longest the agent waits for playback of a goodbye to be confirmed before hanging up anyway.
    public var goodbyeGrace: Duration
    /// Most STT requests (final, speculative and barge-in checks) started in any minute of
    /// the call; utterances beyond it are skipped and counted in ``CallUsage/sttRequestsThrottled``.
    public var maximumTranscriptionsPerMinute: Int

    /// Creates limits (defaults: 30 min, 10 s media gap, 200 turns, 3 tool rounds, 30 STT
    /// requests a minute).
    public init(
        maximumDuration: Duration = .seconds(1800), mediaTimeout: Duration = .seconds(8), maximumTurns: Int = 200,
        maximumToolRounds: Int = 3, goodbyeGrace: Duration = .seconds(3), maximumTranscriptionsPerMinute: Int = 30
    ) {
        self.maximumTranscriptionsPerMinute = maximumTranscriptionsPerMinute
        self.maximumDuration = maximumDuration
        self.mediaTimeout = mediaTimeout
        self.maximumTurns = maximumTurns
        self.maximumToolRounds = maximumToolRounds
        self.goodbyeGrace = goodbyeGrace
    }
}

extension CallEngineConfiguration {
    /// Lower-cases, drops punctuation and collapses spaces.
    static func normalise(_ text: String) -> String {
        let kept = text.lowercased().unicodeScalars.map { $0.properties.isAlphabetic || $0.properties.numericType != nil ? Character($0) : " " }
        return String(kept).split(separator: " ").joined(separator: " ")
    }
}
