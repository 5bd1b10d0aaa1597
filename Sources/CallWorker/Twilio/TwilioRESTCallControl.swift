import TwilioCallAdapter
import TwilioREST

/// The worker's ``TwilioCallControl``: Twilio's REST API through a ``TwilioRESTClient``.
struct TwilioRESTCallControl: TwilioCallControl {
    let client: TwilioRESTClient

    /// Redirects the live call to `twiml` (`POST …/Calls/{sid}.json`, `Twiml=…`).
    func redirect(callSid: String, twiml: String) async throws {
        try await client.redirectCall(sid: callSid, twiml: twiml)
    }

    /// Hangs the live call up (`Status=completed`); a call that already ended (404) counts as done.
    func hangUp(callSid: String) async throws {
        do throws(TwilioRESTError) {
            try await client.hangUpCall(sid: callSid)
        } catch {
            if case .notFound = error { return }
            throw error
        }
    }
}
