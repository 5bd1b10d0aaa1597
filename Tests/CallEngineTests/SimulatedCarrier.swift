import CallEngine
import Synchronization

/// A carrier for engine tests that behaves like Twilio's playback: agent audio queues and
/// plays at 160 bytes per inbound 20 ms frame; a mark is acknowledged once the audio before
/// it has played; a clear flushes the queue and acknowledges every pending mark at once.
final class SimulatedCarrier: CallTransport {
    private struct State {
        var commands: [TransportCommand] = []
        var queued = 0
        var played = 0
        var pendingMarks: [(name: String, at: Int)] = []
        var acknowledged: [String] = []
        var waiters: [(limit: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var closed = false
        var playedAudio: [UInt8] = []
        var clears = 0
        var acknowledgedTotal = 0
    }

    private let state = Mutex(State())

    func send(_ command: TransportCommand) {
        state.withLock { s in
            s.commands.append(command)
            switch command {
            case .audio(let bytes):
                s.queued += bytes.count
                s.playedAudio += bytes  // what was sent (played or flushed)
            case .mark(let name):
                if s.queued == s.played {
                    s.acknowledged.append(name)
                } else {
                    s.pendingMarks.append((name, s.queued))
                }
            case .clear:
                s.clears += 1
                s.played = s.queued
                s.acknowledged += s.pendingMarks.map(\.name)
                s.pendingMarks.removeAll()
                Self.release(&s)
            case .hangUp, .transfer:
                s.closed = true
                Self.release(&s, all: true)
            }
        }
    }

    func waitForPlaybackBacklog(below duration: Duration) async throws {
        let limit = Int(duration.components.seconds * 8000 + duration.components.attoseconds / 125_000_000_000_000)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            state.withLock { s in
                if s.closed || s.queued - s.played < limit {
                    continuation.resume()
                } else {
                    s.waiters.append((limit, continuation))
                }
            }
        }
    }

    /// Plays one 20 ms frame of queued audio; returns marks acknowledged since the last call.
    func advance() -> [String] {
        state.withLock { s in
            s.played = min(s.queued, s.played + 160)
            while let first = s.pendingMarks.first, first.at <= s.played {
                s.acknowledged.append(first.name)
                s.pendingMarks.removeFirst()
            }
            Self.release(&s)
            let acks = s.acknowledged
            s.acknowledgedTotal += acks.count
            s.acknowledged.removeAll()
            return acks
        }
    }

    private static func release(_ s: inout State, all: Bool = false) {
        let ready = s.waiters.filter { all || s.queued - s.played < $0.limit }
        s.waiters.removeAll { all || s.queued - s.played < $0.limit }
        for waiter in ready { waiter.continuation.resume() }
    }

    var commands: [TransportCommand] { state.withLock { $0.commands } }
    var clearCount: Int { state.withLock { $0.clears } }
    /// Marks delivered to the engine as acknowledged so far.
    var acknowledgedMarks: Int { state.withLock { $0.acknowledgedTotal } }
    var isClosed: Bool { state.withLock { $0.closed } }
    var unplayedBytes: Int { state.withLock { $0.queued - $0.played } }
    var audioBytesSent: Int { state.withLock { $0.playedAudio.count } }
}
