// capacity-load: reservation throughput and latency of PostgresCapacityRegistry against a real
// PostgreSQL server, with N concurrent reservers.
//
//   source .ci/postgres.sh && pg_start
//   swift run -c release capacity-load --clients 8 --seconds 10
//
// Options: --url URL (default $CALL_CAPACITY_DATABASE_URL), --clients N (8), --seconds S (10),
// --workers W (50), --slots S (40 per worker), --quotas (put a per-client quota on every
// reserver, so each reservation also takes the quota lock), --schema NAME (capacity_load; dropped
// and recreated). Each reserver loops: reserve (timed) -> release. A second phase fills the fleet
// with reservations only (no releases) until it is full.
import CallCapacity
import Foundation
import Logging
import PostgresNIO

struct Options {
    var url = ProcessInfo.processInfo.environment["CALL_CAPACITY_DATABASE_URL"] ?? ""
    var clients = 8
    var seconds = 10.0
    var workers = 50
    var slots = 40
    var quotas = false
    var schema = "capacity_load"

    init(arguments: [String]) throws {
        var iterator = arguments.dropFirst().makeIterator()
        func value(_ name: String) throws -> String {
            guard let value = iterator.next() else { throw LoadError.usage("missing value for \(name)") }
            return value
        }
        while let argument = iterator.next() {
            switch argument {
            case "--url": url = try value(argument)
            case "--clients": clients = Int(try value(argument)) ?? clients
            case "--seconds": seconds = Double(try value(argument)) ?? seconds
            case "--workers": workers = Int(try value(argument)) ?? workers
            case "--slots": slots = Int(try value(argument)) ?? slots
            case "--schema": schema = try value(argument)
            case "--quotas": quotas = true
            default: throw LoadError.usage("unknown option \(argument)")
            }
        }
        if url.isEmpty { throw LoadError.usage("no database: pass --url or set CALL_CAPACITY_DATABASE_URL") }
    }
}

enum LoadError: Error, CustomStringConvertible {
    case usage(String)
    var description: String {
        switch self {
        case .usage(let message): "usage error: \(message)"
        }
    }
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Latency samples in nanoseconds, reported as percentiles.
struct Samples {
    var values: [Int64] = []

    mutating func add(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        values.append(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)
        return Double(sorted[max(0, index)]) / 1_000_000
    }

    func summary() -> String {
        String(format: "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms",
               percentile(50), percentile(90), percentile(99), percentile(100))
    }
}

/// One reserver of the churn phase: reserve (timed), then release, until the deadline.
func churn(registry: PostgresCapacityRegistry, client: String, until deadline: ContinuousClock.Instant) async throws -> (Samples, refused: Int) {
    var samples = Samples()
    samples.values.reserveCapacity(50_000)
    var refused = 0
    let clock = ContinuousClock()
    while clock.now < deadline {
        let start = clock.now
        let outcome = try await registry.reserve(ReservationRequest(clientID: client, campaignID: "load", hold: .seconds(30)))
        samples.add(clock.now - start)
        if let reservation = outcome.reservation {
            try await registry.release(reservationID: reservation.id)
        } else {
            refused += 1
        }
    }
    return (samples, refused)
}

/// One reserver of the fill phase: reserve without releasing until the fleet is full.
func fill(registry: PostgresCapacityRegistry, client: String) async throws -> Samples {
    var samples = Samples()
    let clock = ContinuousClock()
    while true {
        let start = clock.now
        let outcome = try await registry.reserve(ReservationRequest(clientID: client, hold: .seconds(120)))
        samples.add(clock.now - start)
        if outcome.reservation == nil { return samples }
    }
}

func runLoad(_ options: Options) async throws {
    var logger = Logger(label: "capacity-load")
    logger.logLevel = .warning
    let configuration = try PostgresCapacityConfiguration.clientConfiguration(
        url: options.url, maximumConnections: options.clients + 2
    )
    var backgroundLogger = logger
    backgroundLogger.logLevel = .error   // the pool warns once if a query races the first run() tick
    let client = PostgresClient(configuration: configuration, backgroundLogger: backgroundLogger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }

        try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(options.schema)\" CASCADE"), logger: logger)
        let registry = try PostgresCapacityRegistry(client: client, schema: options.schema, logger: logger)
        try await registry.migrate()
        for w in 0..<options.workers {
            try await registry.register(WorkerRegistration(
                workerID: "worker-\(w)", streamURL: "wss://worker-\(w).example/ws", slots: options.slots,
                labels: ["region": "eu"], ttl: .seconds(600)
            ))
        }
        if options.quotas {
            for c in 0..<options.clients {
                try await registry.setQuota(.client("client-\(c)"), maxConcurrent: 1_000_000)
            }
        }
        var version = ""
        for try await v in try await client.query("SHOW server_version", logger: logger).decode(String.self) { version = v }
        say("capacity-load: PostgreSQL \(version), \(options.workers) workers x \(options.slots) slots, " +
            "\(options.clients) concurrent reservers, quotas \(options.quotas ? "on" : "off"), \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // Warm-up: open the pool's connections and let PL/pgSQL cache its plans.
        _ = try await withThrowingTaskGroup(of: Void.self) { warm in
            for c in 0..<options.clients {
                warm.addTask { _ = try await churn(registry: registry, client: "client-\(c)", until: .now + .seconds(1)) }
            }
            try await warm.waitForAll()
        }

        // Phase 1: reserve + release churn for a fixed time.
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int64(options.seconds * 1000))
        var all = Samples()
        var refused = 0
        try await withThrowingTaskGroup(of: (Samples, refused: Int).self) { tasks in
            for c in 0..<options.clients {
                tasks.addTask { try await churn(registry: registry, client: "client-\(c)", until: deadline) }
            }
            for try await (samples, r) in tasks {
                all.values.append(contentsOf: samples.values)
                refused += r
            }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        say(String(format: "churn (reserve+release): %d reservations in %.2f s = %.0f reservations/s (%.0f round trips/s), refused %d",
                   all.values.count, seconds, Double(all.values.count) / seconds, 2 * Double(all.values.count) / seconds, refused))
        say("  reserve latency: \(all.summary())")

        // Phase 2: fill the fleet with reservations only.
        let fillStart = clock.now
        var fillSamples = Samples()
        try await withThrowingTaskGroup(of: Samples.self) { tasks in
            for c in 0..<options.clients {
                tasks.addTask { try await fill(registry: registry, client: "client-\(c)") }
            }
            for try await samples in tasks { fillSamples.values.append(contentsOf: samples.values) }
        }
        let fillElapsed = clock.now - fillStart
        let fillSeconds = Double(fillElapsed.components.seconds) + Double(fillElapsed.components.attoseconds) / 1e18
        let usage = try await registry.usage()
        let held = usage.byClient.values.reduce(0, +)
        say(String(format: "fill (reserve only): %d reservations until full (%d slots held) in %.2f s = %.0f reservations/s",
                   fillSamples.values.count, held, fillSeconds, Double(fillSamples.values.count) / fillSeconds))
        say("  reserve latency: \(fillSamples.summary())")
        if held != options.workers * options.slots {
            say("ERROR: expected \(options.workers * options.slots) held slots, found \(held)")
        }
        try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(options.schema)\" CASCADE"), logger: logger)
    }
}

do {
    try await runLoad(try Options(arguments: CommandLine.arguments))
} catch {
    FileHandle.standardError.write(Data("capacity-load: \(error)\n".utf8))
    exit(1)
}
