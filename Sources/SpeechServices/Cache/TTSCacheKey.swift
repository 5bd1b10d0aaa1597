import CallAudio

/// Identifies one cached synthesis: provider, model, voice, format, style and normalised text.
public struct TTSCacheKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Provider name.
    public var provider: String
    /// Model name.
    public var model: String
    /// Resolved voice.
    public var voice: String
    /// Output format, as ``AudioFormat/description``.
    public var format: String
    /// Speed and instructions, when set (they change the audio).
    public var style: String
    /// Normalised text (see ``normalize(_:)``).
    public var text: String

    /// Creates a key; `text` is normalised.
    public init(provider: String, model: String, voice: String, format: AudioFormat, style: String = "", text: String) {
        self.provider = provider
        self.model = model
        self.voice = voice
        self.format = format.description
        self.style = style
        self.text = Self.normalize(text)
    }

    /// The key for `request` sent to `tts`.
    public init(request: SpeechSynthesisRequest, tts: any TextToSpeech) {
        var style = ""
        if let speed = request.speed { style += "speed=\(speed);" }
        if let instructions = request.instructions { style += "instructions=\(instructions)" }
        self.init(
            provider: tts.descriptor.name,
            model: tts.descriptor.model,
            voice: tts.resolvedVoice(for: request),
            format: tts.outputFormat(for: request),
            style: style,
            text: request.text
        )
    }

    /// Trims the text and collapses every run of whitespace to one space. Case and
    /// punctuation are kept because they change how a phrase is spoken.
    public static func normalize(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for character in text {
            if character.isWhitespace {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }

    /// `provider/model voice format "text"`.
    public var description: String { "\(provider)/\(model) \(voice) \(format) \"\(text)\"" }
}
