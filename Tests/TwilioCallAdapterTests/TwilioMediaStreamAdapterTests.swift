import CallAudio
import CallEngine
import CallTesting
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SpeechServices
import Testing
import TwilioCallAdapter
import TwilioMediaStreams

/// Records what the adapter writes and whether it closed the stream.
final class RecordingWireWriter: TwilioWireWriter {
    private let state = NIOLockedValueBox<(messages: [String], closes: [TwilioCloseReason])>(([], []))
    let written: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init() {
        (written, continuation) = AsyncStream.makeStream(of: String.self)
    }

    func write(_ text: ByteBuffer) async throws {
        let message = String(buffer: text)
        state.withLockedValue { $0.messages.append(message) }
        continuation.yield(message)
    }

    func close(reason: TwilioCloseReason) async throws {
        state.withLockedValue { $0.closes.append(reason) }
        continuation.finish()
    }

    var closes: [TwilioCloseReason] { state.withLockedValue { $0.closes } }
}

/// A peer that stops reading: every write stays pending until the task is cancelled.
struct StalledWireWriter: TwilioWireWriter {
    func write(_ text: ByteBuffer) async throws {
        try await Task.sleep(for: .seconds(3600))
    }

    func close(reason: TwilioCloseReason) async throws {}
}

/// Builds a conversation with scripted providers and keeps its result.
final class TestCallHandler: TwilioCallHandler {
    let stt = ScriptedSpeechToText()
    let llm = ScriptedLanguageModel()
    let tts = ScriptedTextToSpeech()
    let sampleRate: Int
    let refuse: Bool
    /// Whether `run` waits for the end of the carrier's stream after the call (as a worker
    /// does before it frees the call's slot); the answer is in ``streamEndedAfterCall``.
    let waitsForStreamEnd: Bool
    private let state = NIOLockedValueBox<(
        result: CallResult?, starts: Int, rejected: Int, transport: TwilioCallTransport?, conversation: CallConversation?, streamEnded: Bool?
    )>((nil, 0, 0, nil, nil, nil))
    let finished: AsyncStream<CallResult>
    private let continuation: AsyncStream<CallResult>.Continuation

    init(sampleRate: Int = 8000, refuse: Bool = false, waitsForStreamEnd: Bool = false) {
        self.sampleRate = sampleRate
        self.refuse = refuse
        self.waitsForStreamEnd = waitsForStreamEnd
        (finished, continuation) = AsyncStream.makeStream(of: CallResult.self)
    }

    func conversation(for start: TwilioStartMessage, transport: TwilioCallTransport) async -> CallConversation? {
        state.withLockedValue { state in
            state.starts += 1
            state.transport = transport
        }
        guard !refuse else { return nil }
        var configuration = CallEngineConfiguration(systemPrompt: "test", greeting: "Hello.")
        configuration.sampleRate = sampleRate
        let conversation = CallConversation(
            identity: CallIdentity(callID: start.start.callSid, streamID: start.streamSid, botID: "test"),
            configuration: configuration,
            providers: CallProviders(speechToText: stt, languageModel: llm, textToSpeech: tts),
            transport: transport
        )
        state.withLockedValue { $0.conversation = conversation }
        return conversation
    }

    func run(_ conversation: CallConversation, start: TwilioStartMessage) async {
        let result = await conversation.run()
        if waitsForStreamEnd, let transport = state.withLockedValue({ $0.transport }) {
            let ended = await transport.waitUntilStreamEnded(timeout: .seconds(30))
            state.withLockedValue { $0.streamEnded = ended }
        }
        state.withLockedValue { $0.result = result }
        continuation.yield(result)
        continuation.finish()
    }

    func rejected(_ error: TwilioStreamError) {
        state.withLockedValue { $0.rejected += 1 }
    }

    var starts: Int { state.withLockedValue { $0.starts } }
    var transport: TwilioCallTransport? { state.withLockedValue { $0.transport } }
    var conversation: CallConversation? { state.withLockedValue { $0.conversation } }
    /// What the wait after the call returned (nil: it did not wait, or not yet).
    var streamEndedAfterCall: Bool? { state.withLockedValue { $0.streamEnded } }
    var rejectedCount: Int { state.withLockedValue { $0.rejected } }
}

@Suite("Twilio media stream adapter", .timeLimit(.minutes(1)))
struct TwilioMediaStreamAdapterTests {
    static let logger = Logger(label: "adapter-test")

    @Test("a client that never sends start is closed at the deadline and no call starts")
    func startTimeout() async {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let simulator = TwilioCallerSimulator()
        continuation.yield(ByteBuffer(string: simulator.connectedMessage()))
        let writer = RecordingWireWriter()
        let handler = TestCallHandler()
        let adapter = TwilioMediaStreamAdapter(configuration: .init(startTimeout: .milliseconds(50)), logger: Self.logger)
        let outcome = await adapter.run(messages: messages, writer: writer, handler: handler)
        #expect(outcome == .startTimeout)
        #expect(writer.closes == [.policyViolation])
        #expect(handler.starts == 0)
        continuation.finish()
    }

    /// Bytes of mu-law audio in an outbound `media` message.
    static func payloadByteCount(_ message: String) -> Int {
        guard let start = message.range(of: #""payload":""#),
              let end = message[start.upperBound...].firstIndex(of: "\"") else { return 0 }
        return Data(base64Encoded: String(message[start.upperBound..<end]))?.count ?? 0
    }

    @Test("a whole call through the adapter: greeting audio goes out as mu-law, marks echo back as played, stop ends it")
    func wholeCall() async throws {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        var simulator = TwilioCallerSimulator()
        let writer = RecordingWireWriter()
        let handler = TestCallHandler()
        let adapter = TwilioMediaStreamAdapter(logger: Self.logger)
        let run = Task { await adapter.run(messages: messages, writer: writer, handler: handler) }
        continuation.yield(ByteBuffer(string: simulator.connectedMessage()))
        continuation.yield(ByteBuffer(string: simulator.startMessage()))
        // The caller streams silence while the greeting plays; every mark the worker sends is echoed.
        var media = 0
        var echoed = 0
        for await message in writer.written {
            if message.contains(#""event":"media""#) {
                media += Self.payloadByteCount(message)
                continuation.yield(ByteBuffer(string: simulator.mediaMessage([UInt8](repeating: MuLaw.silenceCode, count: 160))))
            }
            if message.contains(#""event":"mark""#) {
                for reply in try simulator.receive(message, at: .seconds(3600)) {
                    continuation.yield(ByteBuffer(string: reply))
                    echoed += 1
                }
                break
            }
        }
        #expect(media >= 5 * 160)  // at least 100 ms of greeting audio, in whole frames
        #expect(media % 160 == 0)
        #expect(echoed == 1)
        continuation.yield(ByteBuffer(string: simulator.stopMessage()))
        continuation.finish()
        #expect(await run.value == .stopped)
        var results = handler.finished.makeAsyncIterator()
        let result = try #require(await results.next())
        #expect(result.endReason == .callerHungUp)
        let greeting = try #require(result.transcript.compactMap { if case .agent(let turn) = $0 { turn } else { nil } }.first)
        #expect(greeting.playedChunks == 1)
        #expect(greeting.playedText == "Hello.")
    }

    @Test("the agent hangs up: the stream counts as ended only once the carrier's side has closed, not when the worker sent its close")
    func streamEndsWithTheCarriersClose() async throws {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        var simulator = TwilioCallerSimulator()
        let writer = RecordingWireWriter()
        let handler = TestCallHandler(waitsForStreamEnd: true)
        let adapter = TwilioMediaStreamAdapter(logger: Self.logger)
        let run = Task { await adapter.run(messages: messages, writer: writer, handler: handler) }
        continuation.yield(ByteBuffer(string: simulator.connectedMessage()))
        continuation.yield(ByteBuffer(string: simulator.startMessage()))
        var iterator = writer.written.makeAsyncIterator()
        // The first message out is the greeting's audio: the call is running. The agent ends it.
        _ = try #require(await iterator.next())
        let transport = try #require(handler.transport)
        await handler.conversation?.endNow(reason: .agentEnded)
        // The worker's close went out (the writer's stream finishes on close) ...
        while await iterator.next() != nil {}
        #expect(writer.closes == [.normal])
        // ... but the carrier has not answered it: the stream is not over, the slot not free.
        #expect(await transport.waitUntilStreamEnded(timeout: .zero) == false)
        #expect(handler.streamEndedAfterCall == nil)
        // The carrier closes its side: now the call's wait returns, and the adapter with it.
        continuation.finish()
        var results = handler.finished.makeAsyncIterator()
        #expect(await results.next()?.endReason == .agentEnded)
        #expect(handler.streamEndedAfterCall == true)
        _ = await run.value
    }

    @Test("waiting for the stream's end is bounded by its timeout and by cancellation")
    func streamEndWaitIsBounded() async {
        let transport = TwilioCallTransport(streamSid: "MZ1", logger: Self.logger)
        #expect(await transport.waitUntilStreamEnded(timeout: .milliseconds(20)) == false)
        let waiting = Task { await transport.waitUntilStreamEnded(timeout: .seconds(3600)) }
        waiting.cancel()
        #expect(await waiting.value == false)
        let ending = Task { await transport.waitUntilStreamEnded(timeout: .seconds(3600)) }
        transport.streamEnded()
        #expect(await ending.value == true)
        #expect(await transport.waitUntilStreamEnded(timeout: .zero) == true)
    }

    @Test("a peer that stops reading: the call ends with write_timeout and the adapter returns, freeing the slot")
    func writeTimeout() async throws {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        var simulator = TwilioCallerSimulator()
        continuation.yield(ByteBuffer(string: simulator.connectedMessage()))
        continuation.yield(ByteBuffer(string: simulator.startMessage()))
        let handler = TestCallHandler()
        let adapter = TwilioMediaStreamAdapter(configuration: .init(writeTimeout: .milliseconds(100)), logger: Self.logger)
        // The stream stays open (the peer keeps the socket but never reads).
        let outcome = await adapter.run(messages: messages, writer: StalledWireWriter(), handler: handler)
        #expect(outcome == .writeTimeout)
        var results = handler.finished.makeAsyncIterator()
        #expect(await results.next()?.endReason == .writeTimeout)
        continuation.finish()
    }

    @Test("a peer whose socket takes every write but never echoes a mark: the call ends with write_timeout")
    func marksNeverEchoed() async throws {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        var simulator = TwilioCallerSimulator()
        continuation.yield(ByteBuffer(string: simulator.connectedMessage()))
        continuation.yield(ByteBuffer(string: simulator.startMessage()))
        let handler = TestCallHandler()
        let writer = RecordingWireWriter()
        let adapter = TwilioMediaStreamAdapter(configuration: .init(writeTimeout: .milliseconds(200)), logger: Self.logger)
        // Writes complete at once (large socket buffers), media keeps coming, marks never echo.
        let feeder = Task {
            for await message in writer.written where message.contains(#""event":"media""#) {
                continuation.yield(ByteBuffer(string: simulator.mediaMessage([UInt8](repeating: MuLaw.silenceCode, count: 160))))
            }
        }
        let outcome = await adapter.run(messages: messages, writer: writer, handler: handler)
        #expect(outcome == .writeTimeout)
        var results = handler.finished.makeAsyncIterator()
        #expect(await results.next()?.endReason == .writeTimeout)
        continuation.finish()
        feeder.cancel()
    }

    @Test("a refused call closes the stream without running the engine")
    func refused() async {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        var simulator = TwilioCallerSimulator()
        continuation.yield(ByteBuffer(string: simulator.connectedMessage()))
        continuation.yield(ByteBuffer(string: simulator.startMessage()))
        let handler = TestCallHandler(refuse: true)
        let outcome = await TwilioMediaStreamAdapter(logger: Self.logger).run(messages: messages, writer: RecordingWireWriter(), handler: handler)
        #expect(outcome == .refused)
        #expect(handler.starts == 1)
        continuation.finish()
    }

    @Test("malformed messages are reported to the handler; a stream of garbage ends the call as malformed")
    func malformed() async throws {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        var simulator = TwilioCallerSimulator()
        continuation.yield(ByteBuffer(string: simulator.connectedMessage()))
        continuation.yield(ByteBuffer(string: simulator.startMessage()))
        for _ in 0..<200 { continuation.yield(ByteBuffer(string: "{not json")) }
        continuation.finish()
        let handler = TestCallHandler()
        let writer = RecordingWireWriter()
        let outcome = await TwilioMediaStreamAdapter(logger: Self.logger).run(messages: messages, writer: writer, handler: handler)
        #expect(outcome == .malformed)
        #expect(handler.rejectedCount > 0)
        var results = handler.finished.makeAsyncIterator()
        #expect(await results.next()?.endReason == .transportError)
    }
}
