import CallTesting
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing
import TwilioREST

/// The Twilio fake as a carrier model: when its caller hangs up, the call is over before the
/// stream's `stop` goes out (as with Twilio), so a worker that frees its slot on `stop` never
/// has it free while the fake still counts the call live.
@Suite(.timeLimit(.minutes(1)))
struct TwilioFakeCallerHangUpTests {
    @Test func aCallerWhoHangsUpHasEndedTheCallWhenStopArrives() async throws {
        try await TwilioFake.withRunningFake(configuration: .init(maximumCallDuration: .seconds(1))) { fake in
            // A stream endpoint that reads the fake's call at the moment `stop` arrives, before
            // it answers the close.
            let seen = NIOLockedValueBox<[Bool?]>([])
            let router = Router(context: BasicWebSocketRequestContext.self)
            router.ws("/ws/demo") { inbound, _, _ in
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    guard case .text(let text) = message, text.contains(#""event":"stop""#) else { continue }
                    let ended = fake.calls.first?.isEnded
                    seen.withLockedValue { $0.append(ended) }
                    return
                }
            }
            let (ports, portReady) = AsyncStream.makeStream(of: Int.self)
            var logger = Logger(label: "stream-endpoint")
            logger.logLevel = .critical
            let app = Application(
                router: Router(), server: .http1WebSocketUpgrade(webSocketRouter: router),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in
                    portReady.yield(channel.localAddress?.port ?? 0)
                    portReady.finish()
                }, logger: logger)
            let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
            let server = Task { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            fake.route(host: "stream.test", toPort: port)

            let client = TwilioRESTClient(
                credentials: .authToken(accountSID: fake.configuration.accountSID, authToken: fake.configuration.authToken),
                configuration: TwilioRESTConfiguration(baseURL: fake.baseURL))
            let sid = try await client.createCall(TwilioCreateCallRequest(
                to: "+15558675310", from: "+15017122661",
                instructions: .twiml(#"<Response><Connect><Stream url="wss://stream.test/ws/demo"/></Connect></Response>"#))).sid
            // Once the stream is over (the endpoint answered the close), the call is complete.
            let call = try #require(await fake.wait { calls in calls.first { $0.sid == sid }?.streamEnd != nil }.first { $0.sid == sid })
            #expect(seen.withLockedValue { $0 } == [true], "the call was still live at the fake when its stop arrived")
            #expect(call.streamEnd == .callerHungUp && call.status == .completed)
            await group.triggerGracefulShutdown()
            _ = await server.result
        }
    }
}
