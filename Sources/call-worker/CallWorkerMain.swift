import CallCapacity
import CallEngine
import CallResults
import CallWorker
import Foundation
import Logging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle

// call-worker: Twilio Media Streams <-> STT/LLM/TTS worker. Configuration comes from the
// environment (see WorkerConfiguration); logs are JSON lines on stdout.

@main
struct CallWorkerMain {
    static func main() async {
        // First, before any task exists: where tasks run (NIO's event loops by default).
        let executor: WorkerExecutor
        do {
            executor = try WorkerExecutor.from(ProcessInfo.processInfo.environment)
        } catch {
            fail(error.description)
        }
        let executorInstalled = executor.install()
        let logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: logLevel) }
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        let logger = Logger(label: "call-worker")
        if !executorInstalled {
            logger.warning("NIO could not take over Swift's global executor; tasks run on Swift's pool", metadata: [
                "executor": "\(executor.rawValue)",
            ])
        }

        let configuration: WorkerConfiguration
        do {
            configuration = try WorkerConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            fail(error.description)
        }

        let catalog: BotCatalog
        if let path = configuration.botsFile {
            do {
                catalog = try BotCatalog.load(path: path, recordingDirectory: configuration.recordingsDirectory)
            } catch {
                fail(error.description)
            }
        } else {
            logger.warning("BOTS_FILE not set; using the built-in demo bot")
            catalog = BotCatalog.demo(recordingDirectory: configuration.recordingsDirectory)
        }

        guard let openAI = configuration.openAI else {
            fail("no providers configured: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (an OpenAI-compatible server)")
        }
        let (providers, client) = ProviderFactory.openAI(openAI, callSlots: configuration.maximumConcurrentCalls, logger: logger)

        // The outbox first: results of calls a crashed worker left unfinished are recovered
        // (end reason worker_lost) before any call is served, and delivered by redelivery.
        let outbox: ResultOutbox
        do {
            outbox = try await ResultOutbox.open(directory: configuration.spoolDirectory, logger: logger)
        } catch {
            fail("SPOOL_DIR \(configuration.spoolDirectory): \(error)")
        }
        if let recordings = configuration.recordingsDirectory {
            do {
                try POSIXOutboxFileSystem().prepareDirectory(recordings)
            } catch {
                fail("RECORDINGS_DIR \(recordings): \(error)")
            }
        }
        let recovered = await outbox.recoverInterruptedCalls()
        if !(await outbox.probe()) {
            logger.error("result spool is not writable; readiness reports it", metadata: ["spool_dir": "\(configuration.spoolDirectory)"])
        }
        let webhook = configuration.resultWebhookURL.map { url in
            WebhookResultSink(configuration: WebhookConfiguration(url: url, secret: configuration.resultWebhookSecret), outbox: outbox, logger: logger)
        }
        let resultSink: any ResultSink = webhook ?? outbox

        var startup = Logger.Metadata()
        for (key, value) in configuration.startupSummary { startup[key] = "\(value)" }
        startup["bots"] = "\(catalog.bots.keys.sorted().joined(separator: ","))"
        startup["recovered_results"] = "\(recovered.count)"
        logger.info("call-worker starting", metadata: startup)
        if configuration.security.signatures == .off {
            logger.warning("TWILIO_SIGNATURES=off: Twilio signatures and stream tokens are NOT checked (development only)")
        }
        logger.info("drain budget", metadata: [
            "total_s": "\(configuration.drainBudget.total.components.seconds)",
            "split": "\(configuration.drainBudget)",
        ])

        var fleetServices: [any Service] = []
        var fleet: FleetMembership?
        if let fleetConfiguration = configuration.fleet {
            do {
                let client = PostgresClient(
                    configuration: try PostgresCapacityConfiguration.clientConfiguration(url: fleetConfiguration.databaseURL, maximumConnections: 4),
                    backgroundLogger: logger
                )
                let registry = try PostgresCapacityRegistry(client: client, schema: fleetConfiguration.schema, logger: logger)
                let membership = FleetMembership(registry: registry, registration: fleetConfiguration.registration, logger: logger)
                fleetServices = [
                    client,
                    FleetService(membership: membership, setUp: { try await registry.migrate() }, logger: logger),
                ]
                fleet = membership
            } catch {
                fail("CAPACITY_DATABASE_URL: \(error)")
            }
        }

        let server = CallWorkerServer(
            configuration: configuration,
            catalog: catalog,
            providers: providers,
            resultSink: resultSink,
            prometheus: prometheus,
            fleet: fleet,
            logger: logger
        )

        let application = server.makeApplication { port in
            logger.info("listening", metadata: ["port": "\(port)"])
        }
        // Shut down in reverse order: drain first, then the server, and the registry
        // membership (and its database client) last, once every call has ended.
        var services: [any Service] = fleetServices
        services.append(ResultMaintenanceService(webhook: webhook, outbox: outbox))
        services.append(application)
        services.append(server.drainService)
        // The TTS pre-warm runs beside the server: calls are served at once (a cold phrase is
        // synthesized live), and a slow or failing TTS provider cannot hold up the start.
        var configurations = services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        configurations.append(.init(service: PrewarmService(server: server), successTerminationBehavior: .ignore))
        let group = ServiceGroup(configuration: .init(
            services: configurations,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch {
            logger.error("service group failed", metadata: ["error": "\(error)"])
            try? await client.shutdown()
            LogLineWriter.standardOutput.flush()
            exit(1)
        }
        try? await client.shutdown()
        logger.info("stopped")
        LogLineWriter.standardOutput.flush()
        exit(0)
    }

    static func fail(_ message: String) -> Never {
        Logger(label: "call-worker").critical("startup failed", metadata: ["error": "\(message)"])
        LogLineWriter.standardOutput.flush()
        exit(2)
    }
}

/// Pre-synthesizes every bot's fixed lines once, then ends (or stops at shutdown).
struct PrewarmService: Service {
    let server: CallWorkerServer
    func run() async {
        _ = await cancelWhenGracefulShutdown {
            await server.prewarmTextToSpeech()
        }
    }
}

/// Redelivers outbox entries as they come due (with a webhook), and probes an outbox marked
/// unwritable so readiness recovers once the storage does.
struct ResultMaintenanceService: Service {
    let webhook: WebhookResultSink?
    let outbox: ResultOutbox
    func run() async throws {
        await cancelWhenGracefulShutdown {
            if let webhook {
                await webhook.runRedelivery(every: .seconds(5))
                return
            }
            while !Task.isCancelled {
                if outbox.storageHealth.unwritableReason != nil { await outbox.probe() }
                do { try await Task.sleep(for: .seconds(5)) } catch { return }
            }
        }
    }
}

