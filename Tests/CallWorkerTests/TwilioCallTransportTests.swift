import CallEngine
import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import TwilioMediaStreams

@testable import CallWorker

@Suite(.timeLimit(.minutes(1)))
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

    @Test func framesMarksAndHangUpGoOutInOrderAndMarksMapBack() async throws {
        let transport = TwilioCallTransport(streamSid: "MZ1", logger: Logger(label: "t"))
        let (stream, writer) = Self.start(transport)
        transport.send(.audio([UInt8](repeating: 0x55, count: 320)))
        transport.send(.mark(name: "7.0"))
        transport.send(.audio([UInt8](repeating: 0x66, count: 160)))
        transport.send(.mark(name: "7.1"))
        var iterator = stream.makeAsyncIterator()
        var events: [Sent] = []
        while events.count < 5, let sent = await iterator.next() { events.append(sent) }
        #expect(events.map(\.event) == ["media", "media", "mark", "media", "mark"])
        #expect(events.allSatisfy { $0.streamSid == "MZ1" })
        #expect(events[0].media.flatMap { Data(base64Encoded: $0.payload) } == Data(repeating: 0x55, count: 160))
        let firstMark = try #require(events[2].mark?.name)
        let secondMark = try #require(events[4].mark?.name)
        #expect(transport.markEchoed(name: firstMark) == "7.0")
        #expect(transport.markEchoed(name: secondMark) == "7.1")
        #expect(transport.markEchoed(name: "never-sent") == nil)
        transport.send(.hangUp)
        #expect(await iterator.next()?.event == "socket-closed")
        await writer.value
    }

    @Test func clearIsSentAheadOfQueuedAudioAndFlushedMarksAreAcknowledged() async throws {
        let transport = TwilioCallTransport(streamSid: "MZ2", logger: Logger(label: "t"))
        let (stream, writer) = Self.start(transport)
        transport.send(.audio([UInt8](repeating: 0x11, count: 160 * 100)))  // 2 s
        transport.send(.mark(name: "1.0"))
        var iterator = stream.makeAsyncIterator()
        // Wait until some audio is out (it is then audible at Twilio).
        #expect(await iterator.next()?.event == "media")
        transport.send(.clear)
        var afterClear: [String] = []
        while let sent = await iterator.next() {
            afterClear.append(sent.event)
            if sent.event == "clear" { break }
        }
        // The pacer keeps only ~100 ms ahead, so far less than the 2 s queued went out before the clear.
        #expect(afterClear.last == "clear")
        #expect(afterClear.filter { $0 == "media" }.count < 50)
        // New audio after the clear plays normally.
        transport.send(.audio([UInt8](repeating: 0x22, count: 160)))
        transport.send(.mark(name: "2.0"))
        var next: [Sent] = []
        while next.count < 2, let sent = await iterator.next() { next.append(sent) }
        #expect(next.map(\.event) == ["media", "mark"])
        #expect(transport.markEchoed(name: try #require(next[1].mark?.name)) == "2.0")
        transport.close()
        await writer.value
    }

    @Test func backlogWaitReturnsWhenClosedAndThrowsWhenCancelled() async throws {
        let transport = TwilioCallTransport(streamSid: "MZ3", logger: Logger(label: "t"))
        // Nothing queued: returns at once.
        try await transport.waitForPlaybackBacklog(below: .milliseconds(100))
        transport.send(.audio([UInt8](repeating: 0x11, count: 8000 * 5)))  // 5 s, no writer running
        let cancelled = Task { try await transport.waitForPlaybackBacklog(below: .seconds(1)) }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        let waiting = Task { try await transport.waitForPlaybackBacklog(below: .seconds(1)) }
        transport.close()
        try await waiting.value
    }
}
