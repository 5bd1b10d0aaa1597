/// Text to speak and how.
public struct SpeechSynthesisRequest: Sendable, Equatable, Hashable {
    /// The text.
    public var text: String
    /// Voice name; nil uses the provider's configured default.
    public var voice: String?
    /// Speaking speed multiplier; nil uses the provider's default.
    public var speed: Double?
    /// Free-form style instructions, for providers that take them.
    public var instructions: String?

    /// Creates a request.
    public init(text: String, voice: String? = nil, speed: Double? = nil, instructions: String? = nil) {
        self.text = text
        self.voice = voice
        self.speed = speed
        self.instructions = instructions
    }
}
