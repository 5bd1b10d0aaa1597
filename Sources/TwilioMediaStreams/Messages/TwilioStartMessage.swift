/// `start`: stream metadata, sent once right after `connected` with `sequenceNumber` `"1"`.
public struct TwilioStartMessage: Codable, Sendable, Hashable {
    /// Message counter on the stream, a decimal string (`"1"` for `start`).
    public var sequenceNumber: String
    /// The stream id (`MZ…`), repeated at the top level.
    public var streamSid: String
    /// The stream's metadata.
    public var start: Metadata

    /// Creates a `start` message.
    public init(sequenceNumber: String, streamSid: String, start: Metadata) {
        self.sequenceNumber = sequenceNumber
        self.streamSid = streamSid
        self.start = start
    }

    /// The `start` object: ids, tracks, audio format and the TwiML `<Parameter>` pairs.
    public struct Metadata: Codable, Sendable, Hashable {
        /// The account id (`AC…`).
        public var accountSid: String
        /// The stream id (`MZ…`).
        public var streamSid: String
        /// The call id (`CA…`); used as `call_sid` in logs.
        public var callSid: String
        /// The tracks on the stream (`inbound`, `outbound`). Empty when Twilio omits the field.
        public var tracks: [String]
        /// The audio format of `media` payloads.
        public var mediaFormat: TwilioMediaFormat
        /// The `<Parameter name value>` pairs from TwiML. Empty when Twilio omits the field.
        public var customParameters: [String: String]

        /// Creates the metadata object.
        public init(
            accountSid: String,
            streamSid: String,
            callSid: String,
            tracks: [String] = ["inbound"],
            mediaFormat: TwilioMediaFormat = .twilioDefault,
            customParameters: [String: String] = [:]
        ) {
            self.accountSid = accountSid
            self.streamSid = streamSid
            self.callSid = callSid
            self.tracks = tracks
            self.mediaFormat = mediaFormat
            self.customParameters = customParameters
        }

        private enum CodingKeys: String, CodingKey {
            case accountSid, streamSid, callSid, tracks, mediaFormat, customParameters
        }

        /// Decodes the object; `tracks` and `customParameters` default to empty when absent.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            accountSid = try c.decode(String.self, forKey: .accountSid)
            streamSid = try c.decode(String.self, forKey: .streamSid)
            callSid = try c.decode(String.self, forKey: .callSid)
            tracks = try c.decodeIfPresent([String].self, forKey: .tracks) ?? []
            mediaFormat = try c.decode(TwilioMediaFormat.self, forKey: .mediaFormat)
            customParameters = try c.decodeIfPresent([String: String].self, forKey: .customParameters) ?? [:]
        }
    }
}

/// `start.mediaFormat`. Twilio documents it as always `audio/x-mulaw`, 8000 Hz, 1 channel.
/// `sampleRate` and `channels` are JSON numbers (unlike the string counters).
public struct TwilioMediaFormat: Codable, Sendable, Hashable {
    /// The encoding, `audio/x-mulaw`.
    public var encoding: String
    /// Samples per second, 8000.
    public var sampleRate: Int
    /// Channel count, 1.
    public var channels: Int

    /// The only format Twilio Media Streams sends: mu-law, 8 kHz, mono.
    public static let twilioDefault = TwilioMediaFormat(encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1)

    /// Creates a media format.
    public init(encoding: String, sampleRate: Int, channels: Int) {
        self.encoding = encoding
        self.sampleRate = sampleRate
        self.channels = channels
    }
}
