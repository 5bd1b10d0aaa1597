import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import TwilioMediaStreams

/// A simulated Twilio caller over a real WebSocket, for end-to-end tests and demos of a
/// media-stream worker.
///
/// A ``TwilioCallerSimulator`` behind a lock makes the messages; one writer task sends them
/// so they leave in `sequenceNumber` order; one reader plays the server's audio into the
/// simulator and echoes marks the way Twilio does (after the audio before them has played,
/// all pending ones at once on `clear`). Caller audio goes out in real time, one 20 ms frame
/// per 20 ms, like Twilio.
///
/// ```swift
/// let heard = try await TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(port)/ws/demo", callSid: "CA1") { caller in
///     caller.connectedAndStart()
///     try await caller.waitInSilence { $0.echoes.count >= 1 }          // the greeting played
///     try await caller.play(SyntheticCallerAudio.speech(seconds: 1.2))
///     try await caller.waitInSilence { $0.pendingMarkNames.isEmpty }   // the reply played
///     caller.stop()
/// }
/// ```
public final class TwilioWebSocketCaller: Sendable {
    /// Called for every message the server sends, after the simulator processed it, with the
    /// simulator's state, whether the message carried audio, and the simulator time. Runs
    /// under the caller's lock: keep it short and do not call back into the caller.
    public typealias ReceiveObserver = @Sendable (_ simulator: TwilioCallerSimulator, _ carriedAudio: Bool, _ now: Duration) -> Void

    private let simulator: NIOLockedValueBox<TwilioCallerSimulator>
    private let observer: ReceiveObserver?
    private let outgoing: AsyncStream<String>.Continuation
    private let outgoingMessages: AsyncStream<String>
    private let origin = ContinuousClock.now
    private let serverClosed = NIOLockedValueBox(false)

    /// Creates a caller that has not connected yet; ``call(url:configuration:headers:logger:script:)``
    /// creates and connects one.
    public init(configuration: TwilioCallerSimulator.Configuration, observer: ReceiveObserver? = nil) {
        simulator = NIOLockedValueBox(TwilioCallerSimulator(configuration: configuration))
        self.observer = observer
        (outgoingMessages, outgoing) = AsyncStream.makeStream(of: String.self)
    }

    /// Time since the caller was created: the simulator's clock.
    public var now: Duration { ContinuousClock.now - origin }

    /// A copy of the simulator's state (what was heard, echoed, cleared).
    public var state: TwilioCallerSimulator { simulator.withLockedValue { $0 } }

    /// Whether the server closed the socket.
    public var isServerClosed: Bool { serverClosed.withLockedValue { $0 } }

    /// Queues a message made from the simulator, after any mark echoes that fell due.
    public func send(_ make: (inout TwilioCallerSimulator) -> String) {
        let now = self.now
        simulator.withLockedValue { simulator in
            for echo in simulator.advance(to: now) { outgoing.yield(echo) }
            outgoing.yield(make(&simulator))
        }
    }

    /// Sends the mark echoes that fell due by now (marks whose audio has played).
    public func releaseDueEchoes() {
        let now = self.now
        simulator.withLockedValue { simulator in
            for echo in simulator.advance(to: now) { outgoing.yield(echo) }
        }
    }

    /// Queues a raw (possibly malformed) text frame.
    public func sendRaw(_ text: String) {
        outgoing.yield(text)
    }

    /// Sends `connected` and `start`.
    public func connectedAndStart() {
        send { $0.connectedMessage() }
        send { $0.startMessage() }
    }

    /// Sends `stop` (the caller hangs up).
    public func stop() {
        send { $0.stopMessage() }
    }

    /// Sends mu-law `frames` in real time; stops early once `condition` holds or the server
    /// closed the socket.
    /// - Returns: whether `condition` became true.
    @discardableResult
    public func play(_ frames: [[UInt8]], until condition: (@Sendable (TwilioCallerSimulator) -> Bool)? = nil) async throws -> Bool {
        let start = ContinuousClock.now
        for (index, frame) in frames.enumerated() {
            try await Task.sleep(until: start + .milliseconds(20 * index), clock: .continuous)
            if isServerClosed { return false }
            send { $0.mediaMessage(frame) }
            if let condition, condition(state) { return true }
        }
        return false
    }

    /// Sends line noise in real time until `condition` holds, for at most `seconds`.
    /// - Returns: whether `condition` became true.
    @discardableResult
    public func waitInSilence(seconds: Double = 15, until condition: @escaping @Sendable (TwilioCallerSimulator) -> Bool) async throws -> Bool {
        if condition(state) { return true }
        return try await play(SyntheticCallerAudio.silence(seconds: seconds), until: condition)
    }

    private func receive(_ text: String) throws {
        let now = self.now
        try simulator.withLockedValue { simulator in
            let audioBefore = simulator.mediaMessagesReceived
            for echo in try simulator.receive(text, at: now) { outgoing.yield(echo) }
            observer?(simulator, simulator.mediaMessagesReceived > audioBefore, now)
        }
    }

    /// Connects to `url`, runs `script`, then closes; returns the simulator's final state.
    /// - Parameters:
    ///   - url: The worker's media-stream URL (`ws://` or `wss://`).
    ///   - configuration: The simulated call (ids, custom parameters, recording).
    ///   - headers: Extra upgrade headers, e.g. `X-Twilio-Signature`.
    ///   - logger: Logger of the WebSocket client.
    ///   - observer: Sees every server message after the simulator processed it (see ``ReceiveObserver``).
    ///   - script: What the caller does.
    public static func call(
        url: String,
        configuration: TwilioCallerSimulator.Configuration,
        headers: HTTPFields = [:],
        logger: Logger = Logger(label: "twilio-websocket-caller"),
        observer: ReceiveObserver? = nil,
        script: @escaping @Sendable (TwilioWebSocketCaller) async throws -> Void
    ) async throws -> TwilioCallerSimulator {
        let caller = TwilioWebSocketCaller(configuration: configuration, observer: observer)
        var clientConfiguration = WebSocketClientConfiguration()
        clientConfiguration.additionalHeaders = headers
        try await WebSocketClient.connect(url: url, configuration: clientConfiguration, logger: logger) { inbound, outbound, _ in
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
                    caller.serverClosed.withLockedValue { $0 = true }
                }
                try await script(caller)
                caller.outgoing.finish()
                try await group.next()
                group.cancelAll()
            }
        }
        return caller.state
    }

    /// Connects with a simulated call `callSid` (stream id `MZ…`, `From` +15550100, plus
    /// `parameters`), runs `script`, then closes; returns the simulator's final state.
    public static func call(
        url: String,
        callSid: String,
        headers: HTTPFields = [:],
        parameters: [String: String] = [:],
        recordsPlayedAudio: Bool = true,
        logger: Logger = Logger(label: "twilio-websocket-caller"),
        script: @escaping @Sendable (TwilioWebSocketCaller) async throws -> Void
    ) async throws -> TwilioCallerSimulator {
        let configuration = TwilioCallerSimulator.Configuration(
            callSid: callSid,
            streamSid: "MZ" + callSid.dropFirst(2),
            customParameters: ["From": "+15550100"].merging(parameters) { $1 },
            recordsPlayedAudio: recordsPlayedAudio
        )
        return try await call(url: url, configuration: configuration, headers: headers, logger: logger, script: script)
    }
}
