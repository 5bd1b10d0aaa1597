import CallAudio
import CallEngine
import CallTesting
import Logging
import NIOCore
import SpeechServices
import NIOConcurrencyHelpers
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
    private let state = NIOLockedValueBox<(result: CallResult?, starts: Int, rejected: Int)>((nil, 0, 0))
    let finished: AsyncStream<CallResult>
    private let continuation: AsyncStream<CallResult>.Continuation

    init(sampleRate: Int = 8000, refuse: Bool = false) {
        self.sampleRate = sampleRate
        self.refuse = refuse
        (finished, continuation) = AsyncStream.makeStream(of: CallResult.self)
    }

    func conversation(for start: TwilioStartMessage, transport: TwilioCallTransport) async -> CallConversation? {
        state.withLockedValue { $0.starts += 1 }
        guard !refuse else { return nil }
        var configuration = CallEngineConfiguration(systemPrompt: "test", greeting: "Hello.")
        configuration.sampleRate = sampleRate
        return CallConversation(
            identity: CallIdentity(callID: start.start.callSid, streamID: start.streamSid, botID: "test"),
            configuration: configuration,
            providers: CallProviders(speechToText: stt, languageModel: llm, textToSpeech: tts),
            transport: transport
        )
    }

    func run(_ conversation: CallConversation, start: TwilioStartMessage) async {
        let result = await conversation.run()
        state.withLockedValue { $0.result = result }
        continuation.yield(result)
        continuation.finish()
    }

    func rejected(_ error: TwilioStreamError) {
        state.withLockedValue { $0.rejected += 1 }
    }

    var starts: Int { state.withLockedValue { $0.starts } }
    var rejectedCount: Int { state.withLockedValue { $0.rejected } }
}

@Suite("Twilio media stream adapter", .timeLimit(.minutes(1)))
struct TwilioMediaStreamAdapterTests {
    static let logger = Logger(label: "adapter-test")

    @Test("a client that never sends start is closed at the deadline and no call starts")
    func startTimeout() async {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        var simulator = TwilioCallerSimulator()
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
                media += 1
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
        #expect(media >= 5)
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
