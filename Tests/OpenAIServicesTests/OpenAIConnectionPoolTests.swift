import AsyncHTTPClient
import CallTesting
import OpenAIServices
import SpeechServices
import Testing

/// Issue 12 items 1 and 3: a pool that does not queue, measured as the most requests in
/// flight at the wire server (not timed), and pre-connect.
@Suite("Connection pool and pre-connect against the wire server", .timeLimit(.minutes(2)), .serialized)
struct OpenAIConnectionPoolTests {
    /// A client with its own pool (`maximumConnectionsPerHost` connections per host). The
    /// connect timeout (also the wait for a pooled connection) is long: the suites run in
    /// parallel on a loaded 2-core machine, and these tests assert counts, not times.
    func ownedClient(_ server: OpenAIWireServer, connections: Int) -> OpenAIClient {
        OpenAIClient(configuration: OpenAIConfiguration(
            apiKey: OpenAIAPIKey(testAPIKey), baseURL: server.baseURL, maximumConnectionsPerHost: connections,
            connectTimeout: .seconds(60)
        ))
    }

    /// Starts `count` concurrent STT, chat and TTS requests (in turn) and waits for all.
    func runConcurrently(_ count: Int, client: OpenAIClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask {
                    switch index % 3 {
                    case 0:
                        _ = try await client.transcriber.transcribe(TranscriptionRequest(samples: [1, 2, 3, 4], sampleRate: 8000), context: callContext)
                    case 1:
                        _ = try await client.chatModel.stream(chatRequest, context: callContext).collect()
                    default:
                        _ = try await client.speechSynthesizer.synthesize(SpeechSynthesisRequest(text: "Hello."), context: callContext).collect()
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Every endpoint holds its answer until `count` requests are in flight (or `timeout`).
    func holdAll(_ server: OpenAIWireServer, until count: Int, timeout: Duration) {
        for endpoint in [WireEndpoint.transcriptions, .chatCompletions, .speech] {
            server.setDefault(WireBehavior(.success, holdUntilInFlight: count, holdTimeout: timeout), for: endpoint)
        }
    }

    @Test("the pool size follows the call slots: three per slot, at least 16, no overflow")
    func poolSizing() {
        #expect(OpenAIConfiguration.connectionsPerHost(forCallSlots: 1) == 16)
        #expect(OpenAIConfiguration.connectionsPerHost(forCallSlots: 20) == 60)
        #expect(OpenAIConfiguration.connectionsPerHost(forCallSlots: 200) == 600)
        #expect(OpenAIConfiguration.connectionsPerHost(forCallSlots: -4) == 16)
        #expect(OpenAIConfiguration.connectionsPerHost(forCallSlots: .max) == .max)
        let configuration = OpenAIClient.httpConfiguration(for: OpenAIConfiguration(apiKey: OpenAIAPIKey("k"), maximumConnectionsPerHost: 600))
        #expect(configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit == 600)
        #expect(configuration.connectionPool.idleTimeout == .seconds(300))
        #expect(configuration.httpVersion == .automatic)
    }

    @Test("64 concurrent STT, chat and TTS requests are all in flight at once with a 64-connection pool")
    func sixtyFourInFlight() async throws {
        try await withWireServer { server in
            holdAll(server, until: 64, timeout: .seconds(60))
            let client = ownedClient(server, connections: OpenAIConfiguration.connectionsPerHost(forCallSlots: 22))
            do {
                try await runConcurrently(64, client: client)
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()
            #expect(server.peakInFlight == 64)
            #expect(server.requests.count == 64)
        }
    }

    @Test("control: the old 16-connection pool queues, so at most 16 are in flight")
    func sixteenQueue() async throws {
        try await withWireServer { server in
            // Each answer waits until 16 requests are in flight: the pool's 16 connections fill
            // up wave after wave, and no more can ever be in flight at once.
            holdAll(server, until: 16, timeout: .seconds(10))
            let client = ownedClient(server, connections: 16)
            do {
                try await runConcurrently(64, client: client)
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()
            #expect(server.peakInFlight == 16)
            #expect(server.requests.count == 64)
        }
    }

    @Test("preconnect opens one pooled connection per stage, and the stages then use them")
    func preconnect() async throws {
        try await withWireServer { server in
            // Hold the three warm-up answers until all three are in flight: three connections.
            server.setDefault(WireBehavior(.success, holdUntilInFlight: 3, holdTimeout: .seconds(30)), for: .models)
            let client = ownedClient(server, connections: 16)
            let warmup: any ProviderWarmup = client
            let result = await warmup.preconnect(context: callContext)
            #expect(result.attempted == 3)
            #expect(result.connected == 3)
            let warm = Set(server.requests(for: .models).compactMap(\.remotePort))
            #expect(warm.count == 3)
            #expect(server.requests(for: .models).allSatisfy { $0.headers["authorization"] == "Bearer \(testAPIKey)" })

            holdAll(server, until: 3, timeout: .seconds(5))
            do {
                try await runConcurrently(3, client: client)
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()
            let used = Set(server.requests.filter { $0.endpoint != .models }.compactMap(\.remotePort))
            #expect(used.count == 3)
            #expect(used.isSubset(of: warm))
        }
    }

    @Test("preconnect against an unreachable server reports failure and does not throw")
    func preconnectUnreachable() async throws {
        let client = OpenAIClient(configuration: OpenAIConfiguration(apiKey: OpenAIAPIKey("k"), baseURL: "http://127.0.0.1:1/v1"))
        let result = await client.preconnect(connections: 2, context: callContext)
        try await client.shutdown()
        #expect(result.attempted == 2)
        #expect(result.connected == 0)
    }
}
