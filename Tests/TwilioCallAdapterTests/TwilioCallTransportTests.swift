import CallAudio
import CallEngine
import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import TwilioCallAdapter
import TwilioMediaStreams

@Suite("Twilio call transport", .timeLimit(.minutes(1)))
struct TwilioCallTransportTests {
    struct Sent: Decodable {
        struct Media: Decodable { var payload: String }
        struct Mark: Decodable { var name: String }
        var event: String
        var streamSid: String
        var media: Media?
        var mark: Mark?
    }

    /// Runs the writer, handing each written message to the returned stream.
    static func start(_ transport: TwilioCallTransport) -> (AsyncStream<Sent>, Task<Void, Never>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Sent.self)
        let task = Task {
            await transport.runWriter(
                write: { buffer in
                    if let sent = try? JSONDecoder().decode(Sent.self, from: Data(buffer.readableBytesView)) { continuation.yield(sent) }
                },
                close: { continuation.yield(Sent(event: "socket-closed", streamSid: "")) }
            )
            continuation.finish()
        }
        return (stream, task)
    }

    static func pcm(_ value: Int16, milliseconds: Int, rate: Int = 8000) -> PCMAudio {
        PCMAudio(samples: [Int16](repeating: value, count: rate * milliseconds / 1000), sampleRate: rate)
    }

    static func played(_ event: TransportEvent?) -> UInt64? {
        if case .markPlayed(let mark) = event { return mark.rawValue }
        return nil
    }

    static func flushed(_ event: TransportEvent?) -> UInt64? {
        if case .markFlushed(let mark) = event { return mark.rawValue }
        return nil
    }

    @Test("PCM goes out as mu-law media of whole 20 ms frames, each engine mark after its audio, and echoes map back to the same mark")
    func framesMarksAndHangUp() async throws {
        let transport = TwilioCallTransport(streamSid: "MZ1", logger: Logger(label: "t"))
        let (stream, writer) = Self.start(transport)
        transport.send(.audio(Self.pcm(1000, milliseconds: 40)))
        transport.send(.mark(PlaybackMark(rawValue: 7)))
        // 10 ms of audio: the mark pads it to one whole frame.
        transport.send(.audio(Self.pcm(-1000, milliseconds: 10)))
        transport.send(.mark(PlaybackMark(rawValue: 8)))
        var iterator = stream.makeAsyncIterator()
        var events: [Sent] = []
        while events.count < 4, let sent = await iterator.next() { events.append(sent) }
        // Telephony pacing: the 40 ms released at once leave as one message of two frames.
        #expect(events.map(\.event) == ["media", "mark", "media", "mark"])
        #expect(events.allSatisfy { $0.streamSid == "MZ1" })
        #expect(events[0].media.flatMap { Data(base64Encoded: $0.payload) } == Data(repeating: MuLaw.encode(1000), count: 320))
        let padded = try #require(events[2].media.flatMap { Data(base64Encoded: $0.payload) })
        #expect(padded.count == 160)
        #expect(padded.prefix(80).allSatisfy { $0 == MuLaw.encode(-1000) })
        let firstMark = try #require(events[1].mark?.name)
        let secondMark = try #require(events[3].mark?.name)
        #expect(Self.played(transport.markEchoed(name: firstMark)) == 7)
        #expect(Self.played(transport.markEchoed(name: secondMark)) == 8)
        #expect(transport.markEchoed(name: "never-sent") == nil)
        #expect(transport.markEchoed(name: firstMark) == nil)
        transport.send(.hangUp)
        #expect(await iterator.next()?.event == "socket-closed")
        await writer.value
    }

    @Test("24 kHz TTS audio is resampled to 8 kHz: 200 ms in, 10 frames out")
    func resamples() async throws {
        let transport = TwilioCallTransport(streamSid: "MZ4", logger: Logger(label: "t"))
        let (stream, writer) = Self.start(transport)
        for _ in 0..<10 { transport.send(.audio(Self.pcm(2000, milliseconds: 20, rate: 24000))) }
        transport.send(.mark(PlaybackMark(rawValue: 1)))
        var iterator = stream.makeAsyncIterator()
        var bytes = 0
        while let sent = await iterator.next() {
            if sent.event == "mark" { break }
            bytes += sent.media.flatMap { Data(base64Encoded: $0.payload) }?.count ?? 0
        }
        // The resampler's flush at the mark returns what it held back: 200 ms, plus at most one
        // padded frame, in whole frames.
        #expect(bytes % 160 == 0)
        #expect((10...11).contains(bytes / 160))
        transport.close()
        await writer.value
    }

    @Test("clear goes ahead of queued audio; a mark sent before it echoes as flushed, later ones as played")
    func clearFlushes() async throws {
        let transport = TwilioCallTransport(streamSid: "MZ2", logger: Logger(label: "t"))
        let (stream, writer) = Self.start(transport)
        transport.send(.audio(Self.pcm(500, milliseconds: 60)))
        transport.send(.mark(PlaybackMark(rawValue: 1)))
        transport.send(.audio(Self.pcm(500, milliseconds: 2000)))
        transport.send(.mark(PlaybackMark(rawValue: 2)))
        var iterator = stream.makeAsyncIterator()
        var sentMark: String?
        while let sent = await iterator.next() {
            if sent.event == "mark" { sentMark = sent.mark?.name; break }
        }
        transport.send(.clear)
        var afterClear: [String] = []
        while let sent = await iterator.next() {
            afterClear.append(sent.event)
            if sent.event == "clear" { break }
        }
        // The pacer keeps only ~100 ms ahead, so far less than the 2 s queued went out before the clear.
        #expect(afterClear.last == "clear")
        #expect(afterClear.filter { $0 == "media" }.count < 50)
        // Twilio echoes the pending mark after a clear: it was flushed, not played.
        #expect(Self.flushed(transport.markEchoed(name: try #require(sentMark))) == 1)
        // New audio after the clear plays normally.
        transport.send(.audio(Self.pcm(700, milliseconds: 20)))
        transport.send(.mark(PlaybackMark(rawValue: 3)))
        var next: [Sent] = []
        while next.count < 2, let sent = await iterator.next() { next.append(sent) }
        #expect(next.map(\.event) == ["media", "mark"])
        #expect(Self.played(transport.markEchoed(name: try #require(next[1].mark?.name))) == 3)
        transport.close()
        await writer.value
    }

    @Test("the backlog wait returns when the transport closes and throws when cancelled")
    func backlogWait() async throws {
        let transport = TwilioCallTransport(streamSid: "MZ3", logger: Logger(label: "t"))
        // Nothing queued: returns at once.
        try await transport.waitForPlaybackBacklog(below: .milliseconds(100))
        transport.send(.audio(Self.pcm(100, milliseconds: 5000)))  // 5 s, no writer running
        let cancelled = Task { try await transport.waitForPlaybackBacklog(below: .seconds(1)) }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        let waiting = Task { try await transport.waitForPlaybackBacklog(below: .seconds(1)) }
        transport.close()
        try await waiting.value
    }
}
