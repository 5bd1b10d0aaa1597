import CallAudio
import CallEngine
import NIOConcurrencyHelpers

/// The wire a simulated carrier speaks; the engine never sees it (PCM16 at its own rate in,
/// PCM16 at the TTS rate out), so every codec must give the same call.
enum CarrierCodec: Sendable {
    /// G.711 mu-law at 8 kHz (Twilio).
    case muLaw8k
    /// G.711 A-law at 8 kHz (European carriers).
    case aLaw8k
    /// Linear PCM16 at 16 kHz (a wideband SIP or WebRTC leg).
    case pcm16k

    /// Wire sample rate.
    var sampleRate: Int { self == .pcm16k ? 16000 : 8000 }
}

/// A carrier for engine tests that behaves like Twilio's playback: agent audio is converted
/// to the carrier's wire format, queues, and plays 20 ms per inbound 20 ms frame; a mark is
/// reported played once the audio before it has played; a clear flushes the queue and
/// reports every pending mark flushed at once.
final class SimulatedCarrier: CallTransport {
    private struct State {
        var commands: [TransportCommand] = []
        /// Wire samples queued and played so far.
        var queued = 0
        var played = 0
        var pendingMarks: [(mark: PlaybackMark, at: Int)] = []
        var reports: [TransportEvent] = []
        var waiters: [(limit: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var closed = false
        var wireAudio: [Int16] = []
        var wireBytes = 0
        var clears = 0
        var playedMarks = 0
        var sentMarks = 0
        var markWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    let codec: CarrierCodec
    private let state = NIOLockedValueBox(State())
    /// `@unchecked`: the resamplers are non-`Sendable` classes used only inside `outbound`'s lock.
    private struct Resamplers: @unchecked Sendable {
        var byRate: [Int: StreamingResampler<Int16>] = [:]
    }
    private let outbound = NIOLockedValueBox(Resamplers())

    init(codec: CarrierCodec = .muLaw8k) {
        self.codec = codec
    }

    func send(_ command: TransportCommand) {
        let wire: [Int16]
        if case .audio(let audio) = command {
            wire = toWire(audio)
        } else {
            wire = []
        }
        state.withLockedValue { s in
            s.commands.append(command)
            switch command {
            case .audio:
                s.queued += wire.count
                s.wireAudio += wire
                s.wireBytes += wire.count * (codec == .pcm16k ? 2 : 1)
            case .mark(let mark):
                s.sentMarks += 1
                let sent = s.sentMarks
                for waiter in s.markWaiters where waiter.count <= sent { waiter.continuation.resume() }
                s.markWaiters.removeAll { $0.count <= sent }
                if s.queued == s.played {
                    s.reports.append(.markPlayed(mark))
                    s.playedMarks += 1
                } else {
                    s.pendingMarks.append((mark, s.queued))
                }
            case .clear:
                s.clears += 1
                s.played = s.queued
                s.reports += s.pendingMarks.map { .markFlushed($0.mark) }
                s.pendingMarks.removeAll()
                Self.release(&s)
            case .hangUp, .transfer:
                s.closed = true
                Self.release(&s, all: true)
            }
        }
    }

    /// Agent PCM in the carrier's wire format (as samples; G.711 codes are decoded back, so the
    /// audio the carrier "plays" went through the codec).
    private func toWire(_ audio: PCMAudio) -> [Int16] {
        var samples = audio.samples
        if audio.sampleRate != codec.sampleRate {
            samples = outbound.withLockedValue { resamplers in
                do {
                    let resampler = try resamplers.byRate[audio.sampleRate] ?? StreamingResampler<Int16>(from: Double(audio.sampleRate), to: Double(codec.sampleRate))
                    resamplers.byRate[audio.sampleRate] = resampler
                    var output = [Int16](repeating: 0, count: resampler.maximumOutputCount(forInputCount: samples.count))
                    let written = try samples.withUnsafeBufferPointer { input in
                        try output.withUnsafeMutableBufferPointer { out in
                            Result { () throws(AudioError) in try resampler.process(input, into: out) }
                        }.get()
                    }
                    return Array(output[0..<written])
                } catch {
                    return []
                }
            }
        }
        switch codec {
        case .muLaw8k: return MuLaw.decode(MuLaw.encode(samples))
        case .aLaw8k: return ALaw.decode(ALaw.encode(samples))
        case .pcm16k: return samples
        }
    }

    /// Returns once the engine has sent `count` marks (each closes a spoken chunk, so its audio
    /// is queued here): a test can play the audio out without racing the engine's tasks.
    func waitUntilMarksSent(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            state.withLockedValue { s in
                if s.sentMarks >= count {
                    continuation.resume()
                } else {
                    s.markWaiters.append((count, continuation))
                }
            }
        }
    }

    func waitForPlaybackBacklog(below duration: Duration) async throws {
        let limit = Int(duration / .microseconds(1_000_000 / codec.sampleRate))
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            state.withLockedValue { s in
                if s.closed || s.queued - s.played < limit {
                    continuation.resume()
                } else {
                    s.waiters.append((limit, continuation))
                }
            }
        }
    }

    /// Plays one 20 ms frame of queued audio; returns the playback reports since the last call.
    func advance() -> [TransportEvent] {
        state.withLockedValue { s in
            s.played = min(s.queued, s.played + codec.sampleRate / 50)
            while let first = s.pendingMarks.first, first.at <= s.played {
                s.reports.append(.markPlayed(first.mark))
                s.playedMarks += 1
                s.pendingMarks.removeFirst()
            }
            Self.release(&s)
            defer { s.reports.removeAll() }
            return s.reports
        }
    }

    private static func release(_ s: inout State, all: Bool = false) {
        let ready = s.waiters.filter { all || s.queued - s.played < $0.limit }
        s.waiters.removeAll { all || s.queued - s.played < $0.limit }
        for waiter in ready { waiter.continuation.resume() }
    }

    var commands: [TransportCommand] { state.withLockedValue { $0.commands } }
    var clearCount: Int { state.withLockedValue { $0.clears } }
    /// Marks reported played so far.
    var acknowledgedMarks: Int { state.withLockedValue { $0.playedMarks } }
    var isClosed: Bool { state.withLockedValue { $0.closed } }
    var unplayedSamples: Int { state.withLockedValue { $0.queued - $0.played } }
    /// Agent audio as the carrier received it (wire samples, decoded).
    var wireAudio: [Int16] { state.withLockedValue { $0.wireAudio } }
    /// Wire bytes the carrier would have sent to the phone.
    var wireBytes: Int { state.withLockedValue { $0.wireBytes } }
}
