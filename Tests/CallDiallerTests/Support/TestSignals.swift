import CallResults
import Foundation
import Synchronization
import TwilioMediaStreams

/// Signs requests the way Twilio and the worker do, for bad-input tests.
enum TwilioSignatureProbe {
    static func sign(url: String, form: String, token: String) -> String {
        TwilioSignatureValidator(authToken: token).signature(url: url, parameters: TwilioSignatureValidator.formParameters(urlEncoded: form))
    }
}

enum ResultSignatureProbe {
    static func header(body: [UInt8], secret: String) -> String {
        ResultSignature.header(body: body, secret: secret, timestamp: Date())
    }
}

/// Resumes every waiter once `fire()` was called (before or after they wait).
final class OneShotSignal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.fired = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
