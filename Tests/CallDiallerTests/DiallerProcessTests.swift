import AsyncHTTPClient
import CallCapacity
import CallDialler
import CallEngine
import CallResults
import CallTesting
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `call-dialler serve` binary as a child process, on PostgreSQL, placing calls through
/// the Twilio fake: SIGTERM while two calls are live.
@Suite("call-dialler process", .timeLimit(.minutes(2)), .enabled(if: DiallerTestDatabase.shouldRun, DiallerTestDatabase.skipReason))
struct DiallerProcessTests {
    static let resultSecret = "process-result-secret"
    static let drainSeconds = 20

    @Test("SIGTERM: no new calls, readiness 503, the live calls' outcomes are recorded, exit 0 within the drain budget")
    func sigtermStopsPlacingLetsLiveCallsFinishAndExitsZero() async throws {
        try await DiallerTestDatabase.withSchemas { _, store, registry, database in
            try await registry.register(WorkerRegistration(workerID: "w0", streamURL: "wss://worker.test/ws", slots: 10, ttl: .seconds(300)))
            // Two calls at a time; one attempt per lead; paused until the fake routes to the dialler.
            try await CampaignSetup.apply(
                Campaign(id: "s", clientID: "acme", botID: "sales", fromNumber: "+15550001111", account: "AC" + String(repeating: "0", count: 31) + "1",
                         maxConcurrent: 2, retry: RetryPolicy(maxAttempts: 1), paused: true),
                store: store, registry: registry)
            try await store.importLeads((0..<6).map { LeadRecord(id: "s\($0)", phone: "+1555010\($0)") }, into: "s")

            try await TwiMLStub.withRunning { twimlPort in
                try await TwilioFake.withRunningFake { fake in
                    // A person answers; the worker's TwiML (here a stub: a line, then the document ends).
                    fake.route(host: "worker.test", toPort: twimlPort)
                    let dialler = try DiallerChildProcess(arguments: [
                        "serve", "--database-url", database.url, "--schema", database.dialler, "--capacity-schema", database.capacity,
                        "--host", "127.0.0.1", "--port", "0", "--public-url", "https://dialler.test", "--cps", "50",
                        "--hold-seconds", "60", "--drain-seconds", "\(Self.drainSeconds)",
                    ], environment: [
                        "TWILIO_AUTH_TOKEN": fake.configuration.authToken, "TWILIO_ACCOUNT_SID": fake.configuration.accountSID,
                        "TWILIO_API_BASE_URL": fake.baseURL, "RESULT_WEBHOOK_SECRET": Self.resultSecret, "LOG_LEVEL": "info",
                    ])
                    defer { dialler.killIfRunning() }
                    let port = try #require(await dialler.port(), "dialler did not report its port: \(dialler.output)")
                    let base = "http://127.0.0.1:\(port)"
                    fake.route(host: "dialler.test", toPort: port)
                    #expect(try await Self.get(base + "/health/ready").status == 200)

                    try await store.setPaused(campaignID: "s", false)
                    // Two calls created at the fake; each rang, was answered, ran its TwiML and
                    // completed, and the dialler took every status callback (200): both attempts
                    // now wait for the worker's result, holding the campaign's two slots.
                    let live = await fake.wait { calls in
                        calls.count >= 2 && calls.allSatisfy { call in
                            call.isEnded && call.callbacks.contains { $0.callStatus == "completed" && $0.responseStatus == 200 }
                        }
                    }
                    #expect(live.count == 2)
                    #expect(try await store.dialingCount() == 2)

                    let signalled = ContinuousClock.now
                    dialler.signal(SIGTERM)
                    #expect(await dialler.waitFor("dialler draining: no new calls") != nil)
                    let ready = try await Self.get(base + "/health/ready")
                    #expect(ready.status == 503 && ready.body.contains("draining"))

                    // The workers' signed results of the two live calls: both recorded while draining.
                    let creates = fake.requests.filter { $0.method == "POST" && $0.path.hasSuffix("/Calls.json") && $0.responseStatus == 201 }
                    #expect(creates.count == 2)
                    for create in creates {
                        let sid = try #require(create.callSID)
                        let url = try #require(create.form.first { $0.name == "Url" }?.value)
                        let query = Dictionary(uniqueKeysWithValues: (URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
                        let posted = try await Self.postResult(base, sid: sid, parameters: query)
                        #expect(posted.status == 200 && posted.body.contains("applied"), "\(posted)")
                    }

                    let status = await dialler.exitStatus()
                    #expect(status == 0, "\(dialler.output.suffix(20).joined(separator: "\n"))")
                    #expect(ContinuousClock.now - signalled < .seconds(Self.drainSeconds), "within the drain budget")
                    #expect(dialler.logged("dialler drained: no live calls"))
                    #expect(!dialler.output.contains { $0.contains("drain timeout") })
                    #expect(dialler.logged("stopped"))

                    // Freed slots were not used: no call after the two, four leads still pending.
                    #expect(fake.calls.count == 2)
                    let summary = try await store.summary(campaignID: "s")
                    #expect(summary["answered"] == 2, "\(summary)")
                    #expect(summary["pending"] == 4, "\(summary)")
                    #expect(try await store.dialingCount() == 0)
                }
            }
        }
    }

    @Test("an accounts file: each campaign's calls go out on its own account, callbacks verified with that account's token; an account without credentials pauses its campaign")
    func severalAccountsInOneDialler() async throws {
        let (first, second, third) = (TwilioAccountsTests.first, TwilioAccountsTests.second, TwilioAccountsTests.third)
        try await DiallerTestDatabase.withSchemas { _, store, registry, database in
            try await registry.register(WorkerRegistration(workerID: "w0", streamURL: "wss://worker.test/ws", slots: 10, ttl: .seconds(300)))
            for (campaign, account) in [("a", first), ("b", second), ("c", third)] {
                try await CampaignSetup.apply(
                    Campaign(id: campaign, clientID: "acme", botID: "sales", fromNumber: "+15550001111", account: account,
                             retry: RetryPolicy(maxAttempts: 1), paused: true),
                    store: store, registry: registry)
                try await store.importLeads((0..<2).map { LeadRecord(id: "\(campaign)\($0)", phone: Self.number(campaign, $0)) }, into: campaign)
            }
            try await TwilioFake.withRunningFake(configuration: .init(accountSID: first, authToken: "token-one")) { one in
                try await TwilioFake.withRunningFake(configuration: .init(accountSID: second, authToken: "token-two")) { two in
                    for index in 0..<2 {
                        one.script(Self.number("a", index), .busy)
                        two.script(Self.number("b", index), .busy)
                    }
                    let file = FileManager.default.temporaryDirectory.appendingPathComponent("accounts-\(UUID().uuidString).json")
                    try Data("""
                        [{"account_sid": "\(first)", "auth_token": "token-one", "api_base_url": "\(one.baseURL)", "cps": 20},
                         {"account_sid": "\(second)", "auth_token": "token-two", "api_base_url": "\(two.baseURL)", "cps": 20}]
                        """.utf8).write(to: file)
                    defer { try? FileManager.default.removeItem(at: file) }
                    let dialler = try DiallerChildProcess(arguments: [
                        "serve", "--database-url", database.url, "--schema", database.dialler, "--capacity-schema", database.capacity,
                        "--host", "127.0.0.1", "--port", "0", "--public-url", "https://dialler.test", "--accounts-file", file.path,
                    ], environment: ["RESULT_WEBHOOK_SECRET": Self.resultSecret, "LOG_LEVEL": "info"])
                    defer { dialler.killIfRunning() }
                    let port = try #require(await dialler.port(), "dialler did not report its port: \(dialler.output)")
                    one.route(host: "dialler.test", toPort: port)
                    two.route(host: "dialler.test", toPort: port)
                    for campaign in ["a", "b", "c"] { try await store.setPaused(campaignID: campaign, false) }

                    // Each fake gets exactly its account's two calls, and the dialler accepts the
                    // callbacks each signs with its own token.
                    for (fake, campaign) in [(one, "a"), (two, "b")] {
                        let calls = await fake.wait { calls in
                            calls.count >= 2 && calls.allSatisfy { call in
                                call.isEnded && call.callbacks.contains { $0.callStatus == "busy" && $0.responseStatus == 200 }
                            }
                        }
                        #expect(calls.map(\.to).sorted() == [Self.number(campaign, 0), Self.number(campaign, 1)])
                        #expect(calls.allSatisfy { $0.callbacks.allSatisfy { $0.responseStatus == 200 } })
                    }
                    #expect(await dialler.waitFor("carrier refused the credentials: campaign paused") != nil)
                    for campaign in ["a", "b"] {
                        let summary = try await store.summary(campaignID: campaign)
                        #expect(summary["busy"] == 2, "\(campaign): \(summary)")
                    }
                    dialler.signal(SIGTERM)
                    #expect(await dialler.exitStatus() == 0)
                    // No credentials for the third account: no call anywhere, the campaign paused,
                    // its leads kept for later (read once the dialler has stopped).
                    #expect(one.calls.count + two.calls.count == 4)
                    #expect(try await store.campaigns().first { $0.id == "c" }?.paused == true)
                    let paused = try await store.summary(campaignID: "c")
                    #expect(paused["pending"] == 2, "\(paused)")
                }
            }
        }
    }

    /// Lead `index` of campaign `a`, `b` or `c`: +1555{1,2,3}00000{index}.
    static func number(_ campaign: String, _ index: Int) -> String {
        "+1555\(["a": 1, "b": 2, "c": 3][campaign] ?? 9)00000\(index)"
    }

    static func get(_ url: String) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Connection", value: "close")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 16)))
    }

    /// Posts a worker's signed post-call result for call `sid` with the stream's parameters.
    static func postResult(_ base: String, sid: String, parameters: [String: String]) async throws -> (status: Int, body: String) {
        let now = Date()
        let result = CallResult(
            identity: CallIdentity(callID: sid, streamID: "MZ" + sid.dropFirst(2), botID: parameters["bot"] ?? "", accountID: "AC",
                                   from: "+15550001111", to: "", customParameters: parameters),
            startedAt: now, endedAt: now, endReason: .callerHungUp, transcript: [], lead: [:], turns: [], usage: CallUsage(),
            estimatedCost: 0, errors: [], providers: [:], phases: [])
        let body = try [UInt8](result.jsonData())
        var request = HTTPClientRequest(url: base + "/results")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: ResultSignature.headerName, value: ResultSignature.header(body: body, secret: resultSecret, timestamp: now))
        request.headers.add(name: "Connection", value: "close")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 16)))
    }
}

/// The reserved worker's `/twiml/{bot}` as a stub: one `<Say>`, then the document ends (the
/// Twilio fake completes the call; the dialler then waits for the worker's result).
enum TwiMLStub {
    static func withRunning(_ body: (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("/twiml/:bot") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/xml"],
                     body: .init(byteBuffer: ByteBuffer(string: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>Hello</Say></Response>")))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "twiml-stub")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? 0)
                                  continuation.finish()
                              }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TwilioFake.FakeError.failedToStart }
        do {
            try await body(port)
        } catch {
            await group.triggerGracefulShutdown()
            _ = await task.result
            throw error
        }
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
