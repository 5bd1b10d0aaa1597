import CallEngine
import Foundation
import Logging
import NIOConcurrencyHelpers
import TwilioCallAdapter
import TwilioREST

/// Twilio's asynchronous answering-machine results (`AsyncAmdStatusCallback` pointed at
/// `POST /twilio/status`), matched to calls by call SID: a result for a call that is live on
/// this worker acts on it at once (see ``OutboundCallState/machineDetected(_:)``); one that
/// arrives before the call's stream started is kept (2 minutes, at most 10,000) and applied
/// when `start` arrives, as if `AnsweredBy` had come with the stream.
final class MachineDetectionResults: Sendable {
    private struct State {
        var pending: [String: (answeredBy: TwilioAnsweredBy, at: ContinuousClock.Instant)] = [:]
        var live: [String: OutboundCallState] = [:]
    }

    private let state = NIOLockedValueBox(State())
    let retention: Duration = .seconds(120)
    let capacity = 10_000

    /// The result that arrived before `callSid`'s stream, if any (taken once).
    func take(_ callSid: String) -> TwilioAnsweredBy? {
        state.withLockedValue { $0.pending.removeValue(forKey: callSid)?.answeredBy }
    }

    /// `callSid` is live: later results act on `call`.
    func register(_ callSid: String, _ call: OutboundCallState) {
        state.withLockedValue { $0.live[callSid] = call }
    }

    /// `callSid` ended.
    func unregister(_ callSid: String) {
        _ = state.withLockedValue { $0.live.removeValue(forKey: callSid) }
    }

    /// A result arrived: the live call to act on, or nil when it was kept for a later `start`.
    func received(_ callSid: String, answeredBy: TwilioAnsweredBy) -> OutboundCallState? {
        state.withLockedValue { state in
            if let call = state.live[callSid] { return call }
            let now = ContinuousClock.now
            state.pending = state.pending.filter { now - $0.value.at < retention }
            if state.pending.count >= capacity, let oldest = state.pending.min(by: { $0.value.at < $1.value.at })?.key {
                state.pending[oldest] = nil
            }
            state.pending[callSid] = (answeredBy, now)
            return nil
        }
    }
}
