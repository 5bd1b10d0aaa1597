import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import TwilioMediaStreams
import TwilioREST

/// A local Twilio (Hummingbird, 127.0.0.1, ephemeral port) speaking the Programmable Voice
/// REST wire: `POST …/Calls.json` (create), `POST …/Calls/{sid}.json` (update: `Twiml`, `Url`,
/// `Status=completed|canceled`) and `GET …/Calls/{sid}.json`, with Basic auth (account SID +
/// auth token, or an API key), Twilio-shaped Call JSON and error JSON.
///
/// A created call behaves like Twilio's: it "rings" and then, as scripted per destination
/// number (``TwilioFakeBehavior``), is answered by a person or a machine, is busy, is not
/// answered or fails; every step is posted, signed with `X-Twilio-Signature`, to the
/// `StatusCallback` (`initiated`, `ringing`, `answered`, `completed`, with `SequenceNumber`,
/// `CallDuration`, `AnsweredBy` …), and async AMD results go to `AsyncAmdStatusCallback`. An
/// answered call runs its TwiML (inline, or fetched from `Url` with a signed POST): `<Say>`
/// and `<Dial>` are recorded, and `<Connect><Stream>` opens the media-stream WebSocket (upgrade
/// signed over the TwiML URL) with the `<Parameter>`s as `customParameters`, where a
/// ``TwilioWebSocketCaller`` plays the scripted caller and records the agent's audio. An update
/// during the stream ends it (`stop`, then close) and runs the new TwiML; `Status=completed`
/// hangs up.
///
/// Public URLs in requests (`https://worker.example/…`) are mapped to local servers with
/// ``route(host:toPort:)`` (`https`→`http`, `wss`→`ws`; signatures still cover the public URL,
/// as behind a TLS-terminating proxy). Every REST request is recorded (``requests``), and the
/// fake keeps its own count of live calls (created and not yet ended) and the maximum seen.
public final class TwilioFake: Sendable {
    /// Account, credentials and limits.
    public struct Configuration: Sendable {
        /// The account (`AC…`).
        public var accountSID: String
        /// Its auth token: accepted for Basic auth and used to sign callbacks and streams.
        public var authToken: String
        /// API keys accepted for Basic auth: key SID → secret.
        public var apiKeys: [String: String]
        /// Longest a call may run before the fake hangs it up.
        public var maximumCallDuration: Duration

        /// Creates a configuration.
        public init(
            accountSID: String = "AC" + String(repeating: "0", count: 31) + "1",
            authToken: String = "fake-auth-token",
            apiKeys: [String: String] = [:],
            maximumCallDuration: Duration = .seconds(90)
        ) {
            self.accountSID = accountSID
            self.authToken = authToken
            self.apiKeys = apiKeys
            self.maximumCallDuration = maximumCallDuration
        }
    }

    /// Errors of the fake itself.
    public enum FakeError: Error, Sendable {
        /// The server did not report a listening port.
        case failedToStart
    }

    struct LiveCall {
        var call: TwilioFakeCall
        var form: [String: [String]]
        var caller: TwilioWebSocketCaller?
        var streamEnd = StallGate()
        var redirect: [FakeTwiMLVerb]?
        var hangUpRequested = false
        /// The scripted caller hung up (the call ended before its stream's `stop` went out).
        var callerHungUp = false
        var sequence = 0
        var answeredAt: ContinuousClock.Instant?
        var pendingMachineDetection: TwilioAnsweredBy?
    }

    struct State {
        var behaviors: [String: TwilioFakeBehavior] = [:]
        var defaultBehavior = TwilioFakeBehavior.human()
        var rateLimited: (remaining: Int, retryAfter: String?) = (0, nil)
        var routes: [String: Int] = [:]
        var calls: [String: LiveCall] = [:]
        var order: [String] = []
        var requests: [TwilioFakeRequest] = []
        var live = 0
        var maximumLive = 0
        var waiters: [Int: (predicate: @Sendable ([TwilioFakeCall]) -> Bool, continuation: CheckedContinuation<[TwilioFakeCall], Never>)] = [:]
        var nextWaiter = 0
        var port: Int?
        var task: Task<Void, any Error>?
        var group: ServiceGroup?
        var callTasks: [Task<Void, Never>] = []
    }

    /// `X-Twilio-Signature` (a valid field name; the initializer only fails for invalid ones).
    static let signatureField = HTTPField.Name("X-Twilio-Signature") ?? .authorization

    /// The configuration.
    public let configuration: Configuration
    let state = NIOLockedValueBox(State())
    let logger: Logger
    let signer: TwilioSignatureValidator

    /// Creates a stopped fake.
    public init(configuration: Configuration = .init(), logger: Logger = Logger(label: "call-testing.twilio-fake")) {
        self.configuration = configuration
        self.logger = logger
        signer = TwilioSignatureValidator(authToken: configuration.authToken)
    }

    /// Starts a fake, runs `body` with it, and shuts it down afterwards.
    public static func withRunningFake<T: Sendable>(
        configuration: Configuration = .init(),
        _ body: (TwilioFake) async throws -> T
    ) async throws -> T {
        let fake = TwilioFake(configuration: configuration)
        try await fake.start()
        do {
            let result = try await body(fake)
            await fake.shutdown()
            return result
        } catch {
            await fake.shutdown()
            throw error
        }
    }

    // MARK: Scripting

    /// How calls to `number` behave.
    public func script(_ number: String, _ behavior: TwilioFakeBehavior) {
        state.withLockedValue { $0.behaviors[number] = behavior }
    }

    /// How calls to unscripted numbers behave (initially a person who listens).
    public func setDefaultBehavior(_ behavior: TwilioFakeBehavior) {
        state.withLockedValue { $0.defaultBehavior = behavior }
    }

    /// The next `count` REST requests are answered 429 (code 20429) with `Retry-After: retryAfter`
    /// (nil: no header).
    public func rateLimitNext(_ count: Int, retryAfter: String? = "1") {
        state.withLockedValue { $0.rateLimited = (max(0, count), retryAfter) }
    }

    /// Sends requests for `host` (as written in callback, TwiML and stream URLs, with its port
    /// if any) to `127.0.0.1:port`, over plain HTTP / WebSocket.
    public func route(host: String, toPort port: Int) {
        state.withLockedValue { $0.routes[host.lowercased()] = port }
    }

    // MARK: Observations

    /// The port, once started.
    public var port: Int? { state.withLockedValue { $0.port } }
    /// `http://127.0.0.1:<port>`: the REST base URL (`TWILIO_API_BASE_URL`).
    public var baseURL: String { "http://127.0.0.1:\(port ?? 0)" }
    /// Every REST request so far, in order.
    public var requests: [TwilioFakeRequest] { state.withLockedValue { $0.requests } }
    /// Every call so far, in creation order.
    public var calls: [TwilioFakeCall] { state.withLockedValue { Self.snapshots($0) } }
    /// One call.
    public func call(_ sid: String) -> TwilioFakeCall? { state.withLockedValue { $0.calls[sid]?.call } }
    /// Calls created and not yet ended.
    public var liveCallCount: Int { state.withLockedValue { $0.live } }
    /// The most live calls seen at once.
    public var maximumLiveCallCount: Int { state.withLockedValue { $0.maximumLive } }

    /// Returns the calls once `predicate` holds for them (checked after every change).
    public func wait(until predicate: @escaping @Sendable ([TwilioFakeCall]) -> Bool) async -> [TwilioFakeCall] {
        await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { state -> [TwilioFakeCall]? in
                let calls = Self.snapshots(state)
                if predicate(calls) { return calls }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = (predicate, continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Returns the call `sid` once it has ended.
    public func waitUntilEnded(_ sid: String) async -> TwilioFakeCall? {
        await wait { calls in calls.first { $0.sid == sid }?.isEnded ?? false }.first { $0.sid == sid }
    }

    static func snapshots(_ state: State) -> [TwilioFakeCall] {
        state.order.compactMap { state.calls[$0]?.call }
    }

    /// Applies `change` to call `sid` and wakes waiters whose condition now holds.
    @discardableResult
    func update<T>(_ sid: String, _ change: (inout LiveCall) -> T) -> T? {
        let (value, ready) = state.withLockedValue { state -> (T?, [(CheckedContinuation<[TwilioFakeCall], Never>, [TwilioFakeCall])]) in
            guard var live = state.calls[sid] else { return (nil, []) }
            let wasEnded = live.call.isEnded
            let value = change(&live)
            if !wasEnded, live.call.isEnded {
                state.live -= 1
                live.call.endedAt = Date()
            }
            state.calls[sid] = live
            return (value, Self.readyWaiters(&state))
        }
        for (continuation, calls) in ready { continuation.resume(returning: calls) }
        return value
    }

    static func readyWaiters(_ state: inout State) -> [(CheckedContinuation<[TwilioFakeCall], Never>, [TwilioFakeCall])] {
        guard !state.waiters.isEmpty else { return [] }
        let calls = snapshots(state)
        var ready: [(CheckedContinuation<[TwilioFakeCall], Never>, [TwilioFakeCall])] = []
        for (id, waiter) in state.waiters where waiter.predicate(calls) {
            ready.append((waiter.continuation, calls))
            state.waiters[id] = nil
        }
        return ready
    }

    // MARK: Lifecycle

    /// Starts listening on 127.0.0.1 and returns the port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port requestedPort: Int = 0) async throws -> Int {
        let router = Router(context: BasicRequestContext.self)
        let prefix = "/2010-04-01/Accounts/:account"
        router.post(RouterPath(prefix + "/Calls.json")) { [self] request, context in
            try await self.handle(request, context: context, callFile: nil)
        }
        router.post(RouterPath(prefix + "/Calls/:callFile")) { [self] request, context in
            try await self.handle(request, context: context, callFile: context.parameters.get("callFile"))
        }
        router.get(RouterPath(prefix + "/Calls/:callFile")) { [self] request, context in
            try await self.handle(request, context: context, callFile: context.parameters.get("callFile"))
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int?.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: requestedPort)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port)
                portContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let reported = await iterator.next(), let port = reported else {
            task.cancel()
            throw FakeError.failedToStart
        }
        state.withLockedValue {
            $0.port = port
            $0.task = task
            $0.group = group
        }
        return port
    }

    /// Hangs up every live call, cancels what they still do, and stops the server.
    public func shutdown() async {
        let (tasks, task, group, gates) = state.withLockedValue { state -> ([Task<Void, Never>], Task<Void, any Error>?, ServiceGroup?, [StallGate]) in
            defer {
                state.task = nil
                state.group = nil
                state.callTasks = []
            }
            for sid in state.calls.keys { state.calls[sid]?.hangUpRequested = true }
            return (state.callTasks, state.task, state.group, state.calls.values.map(\.streamEnd))
        }
        for gate in gates { gate.releaseAll() }
        // Calls still running end now: a callback to a server that is already gone is not
        // waited for.
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        await group?.triggerGracefulShutdown()
        _ = await task?.result
    }
}
