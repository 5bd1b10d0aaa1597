import Testing
@testable import TwilioMediaStreams

/// What a pacer emitted: frames (with the time sent) and marks.
enum Sent: Equatable {
    case frame([UInt8], PlaybackChunkID, Duration)
    case mark(PlaybackChunkID)
}

extension OutboundPacer {
    mutating func collect(at now: Duration, into sent: inout [Sent]) -> Wait {
        poll(now: now) { (output: Output) in
            switch output {
            case .media(let frame, let id): sent.append(.frame(Array(frame), id, now))
            case .mark(let id): sent.append(.mark(id))
            }
        }
    }
}

/// Payload sizes of the media outputs, in order.
func sizes(_ sent: [Sent]) -> [Int] {
    sent.compactMap { if case .frame(let bytes, _, _) = $0 { bytes.count } else { nil } }
}

@Suite("Outbound pacer (virtual clock)")
struct PacerTests {
    let a = PlaybackChunkID(turn: 1, chunk: 0)
    let b = PlaybackChunkID(turn: 1, chunk: 1)

    @Test("sends 100 ms ahead, then one 20 ms frame per 20 ms, pads the last frame, then the mark")
    func pacing() {
        var pacer = OutboundPacer()
        var sent: [Sent] = []
        let audio = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        pacer.append(audio, chunk: a)
        #expect(pacer.collect(at: .zero, into: &sent) == .until(.milliseconds(20)))
        #expect(sent.count == 5)
        #expect(pacer.lead(at: .zero) == .milliseconds(100))
        #expect(pacer.collect(at: .milliseconds(10), into: &sent) == .until(.milliseconds(20)))
        #expect(sent.count == 5)
        // 6 whole frames exist; the 40-byte rest waits for more audio or the end of the chunk.
        #expect(pacer.collect(at: .milliseconds(20), into: &sent) == .idle)
        #expect(sent.count == 6)
        pacer.finishChunk(a)
        #expect(pacer.collect(at: .milliseconds(20), into: &sent) == .until(.milliseconds(40)))
        #expect(pacer.collect(at: .milliseconds(40), into: &sent) == .idle)
        #expect(sent.count == 8)
        guard case .frame(let last, a, .milliseconds(40)) = sent[6] else { Issue.record("\(sent[6])"); return }
        #expect(Array(last[0..<40]) == Array(audio[960..<1000]))
        #expect(last[40...].allSatisfy { $0 == 0xFF })
        #expect(sent[7] == .mark(a))
        let frames = sent.compactMap { if case .frame(let f, _, _) = $0 { f } else { nil } }
        #expect(frames.allSatisfy { $0.count == 160 })
        #expect(Array(frames.joined().prefix(1000)) == audio)
    }

    @Test("telephony pacing: fills 200 ms, waits until 100 ms are left, then tops up 5 frames in one burst and one message")
    func refillBursts() {
        var pacer = OutboundPacer(configuration: .telephony)
        var sent: [Sent] = []
        pacer.append([UInt8](repeating: 0x55, count: 160 * 40), chunk: a)
        #expect(pacer.collect(at: .zero, into: &sent) == .until(.milliseconds(100)))
        #expect(sizes(sent) == [1600])
        #expect(pacer.lead(at: .zero) == .milliseconds(200))
        // Woken early (more audio arrived): nothing more until the lead is down to 100 ms.
        #expect(pacer.collect(at: .milliseconds(60), into: &sent) == .until(.milliseconds(100)))
        #expect(sent.count == 1)
        #expect(pacer.collect(at: .milliseconds(100), into: &sent) == .until(.milliseconds(200)))
        #expect(sizes(sent) == [1600, 800])
        // A late wake-up (40 ms) still tops up to 200 ms: the caller's buffer never ran dry.
        #expect(pacer.collect(at: .milliseconds(240), into: &sent) == .until(.milliseconds(340)))
        #expect(sizes(sent) == [1600, 800, 1120])
        #expect(pacer.lead(at: .milliseconds(240)) == .milliseconds(200))
        // The default configuration is frame by frame, as before.
        #expect(OutboundPacer.Configuration().refillLead == .milliseconds(80))
        #expect(OutboundPacer.Configuration(maximumLead: .milliseconds(100), refillLead: .seconds(5)).refillLead == .milliseconds(80))
    }

    @Test("a message carries frames of one chunk only; a padded tail ends its chunk's message, its mark follows")
    func messagesFollowChunks() {
        var pacer = OutboundPacer(configuration: .init(maximumLead: .milliseconds(200), refillLead: .milliseconds(100), maximumFramesPerMessage: 4))
        var sent: [Sent] = []
        let first = (0..<500).map { UInt8(truncatingIfNeeded: $0) }
        let second = (0..<800).map { UInt8(truncatingIfNeeded: $0 * 7) }
        pacer.append(first, chunk: a)
        pacer.append(second, chunk: b)  // finishes `a`: 3 whole frames and a 20-byte tail
        #expect(pacer.collect(at: .zero, into: &sent) == .idle)  // b's 800 bytes all sent, b still open
        // a: 4 frames (the tail padded) in one message, then its mark; b: 4 frames, then its last one.
        #expect(sent.count == 4)
        guard case .frame(let aAudio, a, .zero) = sent[0], case .frame(let bAudio, b, .zero) = sent[2] else {
            Issue.record("\(sent)"); return
        }
        #expect(aAudio.count == 640)
        #expect(Array(aAudio[0..<500]) == first)
        #expect(aAudio[500...].allSatisfy { $0 == 0xFF })
        #expect(sent[1] == .mark(a))
        #expect(bAudio.count == 640)
        #expect(Array(bAudio) == Array(second[0..<640]))
        #expect(sizes(sent) == [640, 640, 160])  // 4 + 4 + 1 frames = 180 ms, within the 200 ms lead
        #expect(pacer.lead(at: .zero) == .milliseconds(180))
        pacer.finishChunk(b)
        #expect(pacer.collect(at: .milliseconds(80), into: &sent) == .idle)
        #expect(sent.last == .mark(b))
        let all = sent.compactMap { if case .frame(let f, b, _) = $0 { f } else { nil } }.joined()
        #expect(Array(all) == second)
    }

    @Test(
        "random appends: order kept, lead never above the maximum, whole frames, marks right after their chunk",
        arguments: [OutboundPacer.Configuration(), .telephony])
    func randomised(configuration: OutboundPacer.Configuration) {
        var rng = SplitMix64(state: 7)
        var pacer = OutboundPacer(configuration: configuration)
        var sent: [Sent] = []
        var expected: [UInt8] = []
        var t = Duration.zero
        var chunkIndex = 0
        var produced = 0
        for step in 0..<3000 {
            if Int.random(in: 0..<4, using: &rng) == 0 {
                let n = Int.random(in: 0...700, using: &rng)
                let bytes = (0..<n).map { _ in UInt8.random(in: 0...0xFE, using: &rng) }
                let id = PlaybackChunkID(turn: 1, chunk: chunkIndex)
                pacer.append(bytes, chunk: id)
                expected += bytes
                produced += n
                if Int.random(in: 0..<3, using: &rng) == 0 {
                    pacer.finishChunk(id)
                    let pad = (160 - produced % 160) % 160
                    expected += [UInt8](repeating: 0xFF, count: pad)
                    produced = 0
                    chunkIndex += 1
                }
            }
            _ = pacer.collect(at: t, into: &sent)
            #expect(pacer.lead(at: t) <= configuration.maximumLead, "step \(step)")
            t += .milliseconds(Int64.random(in: 1...15, using: &rng))
        }
        let messages = sent.compactMap { if case .frame(let f, _, _) = $0 { f } else { nil } }
        #expect(messages.allSatisfy { $0.count % 160 == 0 && (1...configuration.maximumFramesPerMessage).contains($0.count / 160) })
        let bytes = Array(messages.joined())
        #expect(bytes == Array(expected.prefix(bytes.count)))
        // Average rate: never faster than real time plus the lead (each frame of a message
        // leaves at the message's time).
        let frameTimes = sent.flatMap { item -> [Duration] in
            if case .frame(let f, _, let time) = item { return Array(repeating: time, count: f.count / 160) }
            return []
        }
        let leadMilliseconds = Int64(configuration.maximumLead / .milliseconds(1))
        for (k, time) in frameTimes.enumerated() {
            #expect(time >= .milliseconds(20 * Int64(k) - leadMilliseconds))
        }
        // Each mark comes after its chunk's frames and before the next chunk's.
        var seen: [PlaybackChunkID] = []
        for item in sent {
            switch item {
            case .frame(_, let id, _): #expect(!seen.contains(id)); #expect(seen.allSatisfy { $0 < id })
            case .mark(let id): seen.append(id)
            }
        }
    }

    @Test("clear drops queued frames and unsent marks; an empty chunk still gets its mark")
    func clear() {
        var pacer = OutboundPacer()
        var sent: [Sent] = []
        pacer.append([UInt8](repeating: 1, count: 1600), chunk: a)
        pacer.finishChunk(a)
        pacer.append([UInt8](repeating: 2, count: 320), chunk: b)
        pacer.finishChunk(b)
        _ = pacer.collect(at: .zero, into: &sent)
        #expect(sent.count == 5)
        let result = pacer.clear(now: .milliseconds(30))
        #expect(result.droppedByteCount == 1600 - 800 + 320)
        #expect(result.droppedChunks == [a, b])
        #expect(result.hadAudioQueuedAtTwilio)
        #expect(pacer.lead(at: .milliseconds(30)) == .zero)
        #expect(!pacer.hasQueuedOutput)
        #expect(pacer.collect(at: .milliseconds(30), into: &sent) == .idle)
        #expect(sent.count == 5)

        let c = PlaybackChunkID(turn: 2, chunk: 0)
        pacer.finishChunk(c)
        _ = pacer.collect(at: .milliseconds(31), into: &sent)
        #expect(sent.last == .mark(c))
    }

    @Test("finishing a queued chunk twice releases one mark; a new chunk implicitly finishes the previous one")
    func finishing() {
        var pacer = OutboundPacer()
        var sent: [Sent] = []
        pacer.append([UInt8](repeating: 1, count: 100), chunk: a)
        pacer.finishChunk(a)
        pacer.finishChunk(a)
        pacer.append([UInt8](repeating: 2, count: 100), chunk: b)
        pacer.append([UInt8](repeating: 3, count: 100), chunk: PlaybackChunkID(turn: 2, chunk: 0))
        _ = pacer.collect(at: .zero, into: &sent)
        let marks = sent.compactMap { if case .mark(let id) = $0 { id } else { nil } }
        #expect(marks == [a, b])
        #expect(sent.count == 4)  // a frame, a mark, b frame, b mark; turn 2 (100 bytes, unfinished) waits
    }
}
