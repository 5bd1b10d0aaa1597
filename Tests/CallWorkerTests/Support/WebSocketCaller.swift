import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Synchronization
import TwilioMediaStreams

/// A simulated Twilio caller over a real WebSocket: a ``TwilioCallerSimulator`` behind a
/// lock, one writer task so messages leave in `sequenceNumber` order, one reader that plays
/// the server's audio and echoes marks the way Twilio does. Caller audio is sent in real
/// time (one 20 ms frame per 20 ms), like Twilio.
final class WebSocketCaller: Sendable {
    private let simulator: Mutex<TwilioCallerSimulator>
    private let outgoing: AsyncStream<String>.Continuation
    let outgoingMessages: AsyncStream<String>
    private let origin = ContinuousClock.now
    private let serverClosed = Mutex(false)

    init(callSid: String, streamSid: String? = nil, parameters: [String: String] = [:]) {
        simulator = Mutex(TwilioCallerSimulator(configuration: .init(
            callSid: callSid, streamSid: streamSid ?? "MZ" + callSid.dropFirst(2),
            customParameters: ["From": "+15550100"].merging(parameters) { $1 })))
        (outgoingMessages, outgoing) = AsyncStream.makeStream(of: String.self)
    }

    var now: Duration { ContinuousClock.now - origin }

    /// A copy of the simulator's state.
    var state: TwilioCallerSimulator { simulator.withLock { $0 } }

    /// Whether the server closed the socket.
    var isServerClosed: Bool { serverClosed.withLock { $0 } }

    /// Queues messages made from the simulator (after any mark echoes that fell due).
    func send(_ make: (inout TwilioCallerSimulator) -> String) {
        let now = self.now
        simulator.withLock { simulator in
            for echo in simulator.advance(to: now) { outgoing.yield(echo) }
            outgoing.yield(make(&simulator))
        }
    }

    /// Queues a raw (possibly malformed) text frame.
    func sendRaw(_ text: String) {
        outgoing.yield(text)
    }

    func connectedAndStart() {
        send { $0.connectedMessage() }
        send { $0.startMessage() }
    }

    func stop() {
        send { $0.stopMessage() }
    }

    /// Sends `frames` in real time; stops early (returning true) once `until` holds.
    @discardableResult
    func play(_ frames: [[UInt8]], until condition: (@Sendable (TwilioCallerSimulator) -> Bool)? = nil) async throws -> Bool {
        let start = ContinuousClock.now
        for (index, frame) in frames.enumerated() {
            try await Task.sleep(until: start + .milliseconds(20 * index), clock: .continuous)
            if isServerClosed { return false }
            send { $0.mediaMessage(frame) }
            if let condition, condition(state) { return true }
        }
        return false
    }

    /// Sends silence in real time until `condition` holds (at most `seconds`).
    @discardableResult
    func waitInSilence(seconds: Double = 15, until condition: @escaping @Sendable (TwilioCallerSimulator) -> Bool) async throws -> Bool {
        if condition(state) { return true }
        return try await play(CallerAudio.silence(seconds: seconds), until: condition)
    }

    func receive(_ text: String) throws {
        let now = self.now
        try simulator.withLock { simulator in
            for echo in try simulator.receive(text, at: now) { outgoing.yield(echo) }
        }
    }

    /// Connects to `url`, runs `script`, then closes; returns the simulator's final state.
    static func call(
        url: String,
        callSid: String,
        headers: HTTPFields = [:],
        parameters: [String: String] = [:],
        script: @escaping @Sendable (WebSocketCaller) async throws -> Void
    ) async throws -> TwilioCallerSimulator {
        let caller = WebSocketCaller(callSid: callSid, parameters: parameters)
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders = headers
        try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "test-caller")) { inbound, outbound, _ in
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
                try await script(caller)
                caller.outgoing.finish()
                try await group.next()
                group.cancelAll()
            }
        }
        return caller.state
    }
}
