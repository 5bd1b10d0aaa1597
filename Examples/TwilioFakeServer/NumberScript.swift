import CallTesting
import Foundation
import TwilioREST

/// The `--numbers` JSON file: how each destination number answers.
///
/// ```json
/// {
///   "default": {"answer": "human"},
///   "numbers": {
///     "+15550000001": {"answer": "busy"},
///     "+15550000002": {"answer": "no-answer"},
///     "+15550000003": {"answer": "failed"},
///     "+15550000004": {"answer": "invalid", "code": 21211},
///     "+15550000005": {"answer": "machine", "endOfGreeting": "machine_end_beep"},
///     "+15550000006": {"answer": "human"}
///   },
///   "ringMilliseconds": 200,
///   "human": {"greetingTimeoutSeconds": 10, "speechSeconds": 1.0}
/// }
/// ```
/// A `human` waits (in line noise) until the agent's greeting has played, says something
/// (``SyntheticCallerAudio/speech(seconds:seed:)``), then listens in silence until the call
/// ends (the worker hangs up, or `--max-call-seconds` passes and the fake hangs up).
struct NumberScript: Decodable, Sendable {
    struct Entry: Decodable, Sendable {
        /// human, machine, fax, busy, no-answer, failed, invalid.
        var answer: String
        /// Twilio error code of `invalid` (default 21211).
        var code: Int?
        /// AMD end of greeting of `machine` with DetectMessageEnd (default machine_end_beep).
        var endOfGreeting: String?
        /// Overrides the file's ring time.
        var ringMilliseconds: Int?
    }

    struct Human: Decodable, Sendable {
        var greetingTimeoutSeconds: Double?
        var speechSeconds: Double?
    }

    var `default`: Entry?
    var numbers: [String: Entry]?
    var ringMilliseconds: Int?
    var human: Human?

    static func load(path: String?) throws -> NumberScript {
        guard let path else { return NumberScript() }
        guard let data = FileManager.default.contents(atPath: path) else { throw ScriptError("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(NumberScript.self, from: data)
        } catch {
            throw ScriptError("\(path): \(error)")
        }
    }

    /// Scripts every number (and the default) on `fake`.
    func apply(to fake: TwilioFake) throws {
        let greetingTimeout = human?.greetingTimeoutSeconds ?? 10
        let speech = SyntheticCallerAudio.speech(seconds: human?.speechSeconds ?? 1.0)
        let talker: TwilioFakeBehavior.StreamScript = { caller in
            _ = try await caller.waitInSilence(seconds: greetingTimeout) { $0.echoes.count >= 1 && $0.queuedByteCount == 0 }
            _ = try await caller.play(speech)
        }
        if let entry = self.default { fake.setDefaultBehavior(try behavior(entry, talker: talker)) }
        for (number, entry) in numbers ?? [:] { fake.script(number, try behavior(entry, talker: talker)) }
    }

    func behavior(_ entry: Entry, talker: @escaping TwilioFakeBehavior.StreamScript) throws -> TwilioFakeBehavior {
        var behavior: TwilioFakeBehavior
        switch entry.answer {
        case "human": behavior = .human(script: talker)
        case "machine":
            let end = entry.endOfGreeting ?? TwilioAnsweredBy.machineEndBeep.rawValue
            guard let answeredBy = TwilioAnsweredBy(rawValue: end) else { throw ScriptError("unknown endOfGreeting \(end)") }
            behavior = .machine(answeredBy)
        case "fax": behavior = TwilioFakeBehavior(answer: .fax)
        case "busy": behavior = .busy
        case "no-answer": behavior = .noAnswer
        case "failed": behavior = .failed
        case "invalid": behavior = .invalidNumber(code: entry.code ?? 21211)
        default: throw ScriptError("unknown answer \(entry.answer) (human, machine, fax, busy, no-answer, failed, invalid)")
        }
        if let ms = entry.ringMilliseconds ?? ringMilliseconds { behavior.ringTime = .milliseconds(ms) }
        return behavior
    }
}

struct ScriptError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
