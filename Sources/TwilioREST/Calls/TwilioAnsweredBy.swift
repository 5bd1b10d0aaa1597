/// Who answered, from answering-machine detection (`AnsweredBy`).
///
/// `MachineDetection=Enable` gives `human`, `machine_start`, `fax` or `unknown`;
/// `DetectMessageEnd` waits for the greeting's end and gives `machine_end_beep`,
/// `machine_end_silence`, `machine_end_other`, `human`, `fax` or `unknown`.
public enum TwilioAnsweredBy: String, Sendable, Hashable, Codable, CaseIterable {
    /// A person.
    case human
    /// A machine; its greeting is still playing.
    case machineStart = "machine_start"
    /// A machine's greeting ended with a beep: leave the message now.
    case machineEndBeep = "machine_end_beep"
    /// A machine's greeting ended in silence.
    case machineEndSilence = "machine_end_silence"
    /// A machine's greeting ended otherwise.
    case machineEndOther = "machine_end_other"
    /// A fax machine.
    case fax
    /// Detection could not decide (timeout).
    case unknown

    /// Parses Twilio's spelling; nil for an empty or unknown value.
    public init?(twilioValue raw: String?) {
        guard let raw, let value = TwilioAnsweredBy(rawValue: raw) else { return nil }
        self = value
    }

    /// Any machine (fax included).
    public var isMachine: Bool { self != .human && self != .unknown }

    /// A machine whose greeting has ended, so a message can be left.
    public var isEndOfGreeting: Bool {
        self == .machineEndBeep || self == .machineEndSilence || self == .machineEndOther
    }
}
