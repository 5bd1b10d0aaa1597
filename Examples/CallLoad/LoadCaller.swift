import Foundation
import HummingbirdWSClient
import Logging
import Synchronization
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

/// A simulated Twilio caller over a real WebSocket that measures what the caller hears.
/// One writer task keeps messages in `sequenceNumber` order; the reader plays the agent's
/// audio in the ``TwilioCallerSimulator`` (8 bytes per ms from arrival) and echoes marks.
final class LoadCaller: Sendable {
    private struct Probe {
        var simulator: TwilioCallerSimulator
        var measurement = CallMeasurement()
        /// Set when the caller stopped speaking; cleared by the first agent audio after it.
        var speechEnd: Duration?
        /// True while an agent reply is playing (from its first audio until the caller speaks).
        var inReply = false
        /// When the caller's playout buffer runs dry if nothing else arrives.
        var dryAt: Duration = .zero
        var replyCount = 0
    }

    private let probe: Mutex<Probe>
    private let outgoing: AsyncStream<String>.Continuation
    private let outgoingMessages: AsyncStream<String>
    private let origin = ContinuousClock.now
    private let serverClosed = Mutex(false)

    init(callSid: String) {
        probe = Mutex(Probe(simulator: TwilioCallerSimulator(configuration: .init(
            callSid: callSid, streamSid: "MZ" + callSid.dropFirst(2), recordsPlayedAudio: false))))
        (outgoingMessages, outgoing) = AsyncStream.makeStream(of: String.self)
    }

    var now: Duration { ContinuousClock.now - origin }
    var isServerClosed: Bool { serverClosed.withLock { $0 } }
    var measurement: CallMeasurement { probe.withLock { $0.measurement } }
    var replyCount: Int { probe.withLock { $0.replyCount } }

    /// True when the agent has started more than `replies` replies, everything it sent has
    /// played, every mark was echoed, and it has been quiet for 300 ms.
    func agentDone(after replies: Int) -> Bool {
        let now = self.now
        return probe.withLock { probe in
            for echo in probe.simulator.advance(to: now) { outgoing.yield(echo) }
            return probe.replyCount > replies && probe.simulator.queuedByteCount == 0
                && probe.simulator.pendingMarkNames.isEmpty && now - probe.dryAt >= .milliseconds(300)
        }
    }

    private func send(_ make: (inout TwilioCallerSimulator) -> String) {
        let now = self.now
        probe.withLock { probe in
            for echo in probe.simulator.advance(to: now) { outgoing.yield(echo) }
            outgoing.yield(make(&probe.simulator))
        }
    }

    func start() {
        send { $0.connectedMessage() }
        send { $0.startMessage() }
    }

    func stop() { send { $0.stopMessage() } }

    /// The caller starts speaking: the agent's reply (if still playing) is over.
    func speechStarts() { probe.withLock { $0.inReply = false } }

    /// The caller stopped speaking now.
    func speechEnded() {
        let now = self.now
        probe.withLock { $0.speechEnd = now }
    }

    /// Sends `frames` in real time (one per 20 ms); stops early once `until` holds.
    /// - Returns: whether `until` became true.
    @discardableResult
    func play(_ frames: [[UInt8]], until condition: (@Sendable () -> Bool)? = nil) async throws -> Bool {
        let start = ContinuousClock.now
        for (index, frame) in frames.enumerated() {
            try await Task.sleep(until: start + .milliseconds(20 * index), clock: .continuous)
            if isServerClosed { return false }
            send { $0.mediaMessage(frame) }
            if let condition, condition() { return true }
        }
        return false
    }

    /// Sends silence in real time until `condition` holds (at most `seconds`).
    func waitInSilence(seconds: Double, until condition: @escaping @Sendable () -> Bool) async throws -> Bool {
        if condition() { return true }
        let silence = [UInt8](repeating: 0xFF, count: 160)
        return try await play(Array(repeating: silence, count: Int(seconds * 50)), until: condition)
    }

    private func receive(_ text: String) throws {
        let now = self.now
        try probe.withLock { probe in
            for echo in probe.simulator.advance(to: now) { outgoing.yield(echo) }
            let mediaBefore = probe.simulator.mediaMessagesReceived
            for echo in try probe.simulator.receive(text, at: now) { outgoing.yield(echo) }
            guard probe.simulator.mediaMessagesReceived > mediaBefore else { return }
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
            probe.dryAt = now + .microseconds(probe.simulator.queuedByteCount * 125)
        }
    }

    /// Connects to `url`, runs `script`, hangs up; returns what was measured.
    static func call(
        url: String,
        callSid: String,
        logger: Logger,
        script: @escaping @Sendable (LoadCaller) async throws -> Void
    ) async -> CallMeasurement {
        let caller = LoadCaller(callSid: callSid)
        let started = caller.now
        let failure = Mutex<String?>(nil)
        do {
            try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in caller.outgoingMessages {
                            try await outbound.write(.text(text))
                        }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            if case .text(let text) = message { try caller.receive(text) }
                        }
                        caller.serverClosed.withLock { $0 = true }
                    }
                    do {
                        try await script(caller)
                    } catch {
                        failure.withLock { $0 = "\(error)" }
                    }
                    caller.outgoing.finish()
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            failure.withLock { $0 = $0 ?? "\(error)" }
        }
        var measurement = caller.measurement
        measurement.seconds = Double((caller.now - started) / .milliseconds(1)) / 1000
        measurement.failure = failure.withLock { $0 }
        return measurement
    }
}

/// The reason a scripted call gave up.
struct CallScriptError: Error, CustomStringConvertible {
    var description: String
}
