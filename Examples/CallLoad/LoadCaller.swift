import CallTesting
import Foundation
import Logging
import NIOConcurrencyHelpers
import TwilioMediaStreams

/// What one simulated call measured.
struct CallMeasurement: Sendable {
    /// Caller end of speech -> first agent audio at the caller, per turn (ms).
    var replyLatencies: [Double] = []
    /// Agent media messages that arrived after the caller's playout buffer had run dry
    /// in the middle of an agent reply (an audible gap).
    var lateFrames = 0
    /// 20 ms frames of silence inserted into agent replies by those gaps.
    var missingFrames = 0
    /// Agent media messages received.
    var framesReceived = 0
    /// Seconds from connect to hang-up.
    var seconds = 0.0
    /// Why the call failed, nil when it completed all turns.
    var failure: String?
}

/// Watches what the caller hears: reply latency, and gaps where the caller's playout buffer
/// ran dry in the middle of a reply. Fed by ``TwilioWebSocketCaller``'s receive observer.
final class LoadProbe: Sendable {
    private struct State {
        var measurement = CallMeasurement()
        /// Set when the caller stopped speaking; cleared by the first agent audio after it.
        var speechEnd: Duration?
        /// True while an agent reply is playing (from its first audio until the caller speaks).
        var inReply = false
        /// When the caller's playout buffer runs dry if nothing else arrives.
        var dryAt: Duration = .zero
        var replyCount = 0
    }

    private let state = NIOLockedValueBox(State())

    var measurement: CallMeasurement { state.withLockedValue { $0.measurement } }

    func speechStarts() { state.withLockedValue { $0.inReply = false } }

    func speechEnded(at now: Duration) { state.withLockedValue { $0.speechEnd = now } }

    /// Replies started so far and when the caller's buffer runs dry.
    var replies: (count: Int, dryAt: Duration) { state.withLockedValue { ($0.replyCount, $0.dryAt) } }

    /// The receive observer.
    func observe(_ simulator: TwilioCallerSimulator, carriedAudio: Bool, now: Duration) {
        guard carriedAudio else { return }
        state.withLockedValue { probe in
            probe.measurement.framesReceived += 1
            if let end = probe.speechEnd {
                probe.measurement.replyLatencies.append(Double((now - end) / .microseconds(1)) / 1000)
                probe.speechEnd = nil
                probe.inReply = true
                probe.replyCount += 1
            } else if !probe.inReply {
                // The greeting (no caller speech before it).
                probe.inReply = true
                probe.replyCount += 1
            } else if now > probe.dryAt {
                let gap = now - probe.dryAt
                probe.measurement.lateFrames += 1
                probe.measurement.missingFrames += Int((gap / .milliseconds(20)).rounded(.up))
            }
            // Audio queued now plays out by dryAt.
            probe.dryAt = now + .microseconds(simulator.queuedByteCount * 125)
        }
    }
}

/// A simulated Twilio caller (``TwilioWebSocketCaller``) that measures what it hears.
struct LoadCaller: Sendable {
    let caller: TwilioWebSocketCaller
    let probe: LoadProbe

    private static let silenceFrame = [UInt8](repeating: 0xFF, count: 160)

    var isServerClosed: Bool { caller.isServerClosed }

    /// True when the agent has started more than `replies` replies, everything it sent has
    /// played, every mark was echoed, and it has been quiet for 300 ms.
    func agentDone(after replies: Int) -> Bool {
        caller.releaseDueEchoes()
        let state = caller.state
        let now = caller.now
        let (count, dryAt) = probe.replies
        return count > replies && state.queuedByteCount == 0 && state.pendingMarkNames.isEmpty
            && now - dryAt >= .milliseconds(300)
    }

    func start() { caller.connectedAndStart() }

    func stop() { caller.stop() }

    /// The caller starts speaking: the agent's reply (if still playing) is over.
    func speechStarts() { probe.speechStarts() }

    /// The caller stopped speaking now.
    func speechEnded() { probe.speechEnded(at: caller.now) }

    /// Sends `frames` in real time (one per 20 ms).
    func play(_ frames: [[UInt8]]) async throws {
        try await caller.play(frames)
    }

    /// Sends digital silence in real time until `condition` holds (at most `seconds`).
    func waitInSilence(seconds: Double, until condition: @escaping @Sendable () -> Bool) async throws -> Bool {
        if condition() { return true }
        return try await caller.play(Array(repeating: Self.silenceFrame, count: Int(seconds * 50))) { _ in condition() }
    }

    /// Connects to `url`, runs `script`, hangs up; returns what was measured.
    static func call(
        url: String,
        callSid: String,
        logger: Logger,
        script: @escaping @Sendable (LoadCaller) async throws -> Void
    ) async -> CallMeasurement {
        let probe = LoadProbe()
        let started = ContinuousClock.now
        let failure = NIOLockedValueBox<String?>(nil)
        let configuration = TwilioCallerSimulator.Configuration(
            callSid: callSid, streamSid: "MZ" + callSid.dropFirst(2), recordsPlayedAudio: false
        )
        do {
            _ = try await TwilioWebSocketCaller.call(
                url: url, configuration: configuration, logger: logger,
                observer: { simulator, carriedAudio, now in probe.observe(simulator, carriedAudio: carriedAudio, now: now) }
            ) { caller in
                do {
                    try await script(LoadCaller(caller: caller, probe: probe))
                } catch {
                    failure.withLockedValue { $0 = "\(error)" }
                }
            }
        } catch {
            failure.withLockedValue { $0 = $0 ?? "\(error)" }
        }
        var measurement = probe.measurement
        measurement.seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        measurement.failure = failure.withLockedValue { $0 }
        return measurement
    }
}

/// The reason a scripted call gave up.
struct CallScriptError: Error, CustomStringConvertible {
    var description: String
}
