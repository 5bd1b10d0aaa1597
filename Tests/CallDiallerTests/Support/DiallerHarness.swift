import CallCapacity
@testable import CallDialler
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A dialler with its HTTP receiver on an ephemeral port, run for the body's duration.
enum DiallerHarness {
    static let publicURL = "https://dialler.test"
    static let authToken = "twilio-test-token"
    static let resultSecret = "result-test-secret"

    static func configuration(hold: Duration = .seconds(8)) -> DiallerConfiguration {
        DiallerConfiguration(
            publicURL: publicURL, hold: hold, idleInterval: .milliseconds(50), sweepInterval: .milliseconds(200),
            resultGrace: .milliseconds(500), batchSize: 16, drainTimeout: .seconds(30))
    }

    /// Runs the dialler and its HTTP server; `body` gets the dialler and the server's base URL.
    /// After `body`, the dialler is drained, `afterDrain` runs, and the server is stopped.
    static func run(
        store: DiallerStore, registry: any CapacityRegistry, placer: any OutboundCallPlacer, pacer: AccountPacer,
        configuration: DiallerConfiguration = configuration(),
        afterDrain: @Sendable () async -> Void = {},
        _ body: @Sendable (Dialler, String) async throws -> Void
    ) async throws {
        let logger = DiallerTestDatabase.logger
        let dialler = Dialler(store: store, registry: registry, placer: placer, pacer: pacer, configuration: configuration, logger: logger)
        let http = DiallerHTTPServer(dialler: dialler, publicURL: publicURL, twilioAuthToken: authToken, resultSecret: resultSecret,
                                     prometheus: nil, logger: logger)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = http.makeApplication(host: "127.0.0.1", port: 0) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                do {
                    try await group.run()
                } catch {
                    portContinuation.finish()
                    throw error
                }
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                throw DiallerError.invalidInput("HTTP server did not start")
            }
            let runner = Task { await dialler.run() }
            do {
                try await body(dialler, "http://127.0.0.1:\(port)")
            } catch {
                await dialler.beginDrain()
                runner.cancel()
                await group.triggerGracefulShutdown()
                throw error
            }
            await dialler.beginDrain()
            await runner.value
            await afterDrain()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
