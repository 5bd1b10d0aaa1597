import CallEngine
import CallTesting

/// ``SyntheticCallerAudio`` as engine ``AudioFrame``s.
enum CallerAudio {
    static func silence(seconds: Double) -> [AudioFrame] {
        SyntheticCallerAudio.silence(seconds: seconds).compactMap { try? AudioFrame($0) }
    }

    static func speech(seconds: Double, seed: UInt64 = 1) -> [AudioFrame] {
        SyntheticCallerAudio.speech(seconds: seconds, seed: seed).compactMap { try? AudioFrame($0) }
    }
}
