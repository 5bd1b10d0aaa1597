import CallCapacity
import Foundation
import PostgresNIO

/// A registry under test plus a way to let its time pass.
protocol RegistryHarness: Sendable {
    /// The registry under test.
    var registry: any CapacityRegistry { get }
    /// Lets the registry's clock move past `duration` from now.
    func advance(past duration: Duration) async throws
    /// A hold or TTL that is "short": long enough for the few calls a test makes before it
    /// advances time (PostgreSQL: real time passes), short enough to wait out.
    var short: Duration { get }
}

/// The in-memory backend with a manual clock: time moves only when the test says so.
struct InMemoryHarness: RegistryHarness {
    let clock = ManualRegistryClock()
    let memory: InMemoryCapacityRegistry

    init() {
        memory = InMemoryCapacityRegistry(clock: clock, logger: TestDatabase.logger)
    }

    var registry: any CapacityRegistry { memory }

    var short: Duration { .milliseconds(200) }

    func advance(past duration: Duration) async throws {
        clock.advance(by: duration + .milliseconds(1))
    }
}

/// The PostgreSQL backend in its own schema. Its clock is the database's `clock_timestamp()`,
/// which tests cannot move; ``advance(past:)`` waits until the database clock has passed the
/// target instant (polled, with a bounded deadline), so the outcome never depends on timing luck.
struct PostgresHarness: RegistryHarness {
    let client: PostgresClient
    let schemaName: String
    let postgres: PostgresCapacityRegistry

    init(client: PostgresClient, schemaName: String, registry: PostgresCapacityRegistry) {
        self.client = client
        self.schemaName = schemaName
        self.postgres = registry
    }

    var registry: any CapacityRegistry { postgres }

    var short: Duration { .seconds(3) }

    /// The database's current time.
    func databaseNow() async throws -> Date {
        let rows = try await client.query("SELECT clock_timestamp()", logger: TestDatabase.logger)
        for try await now in rows.decode(Date.self) { return now }
        throw CapacityError.database(message: "no clock row")
    }

    func advance(past duration: Duration) async throws {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let target = try await databaseNow().addingTimeInterval(seconds)
        let deadline = ContinuousClock.now + duration + .seconds(10)
        while try await databaseNow() <= target {
            guard ContinuousClock.now < deadline else {
                throw CapacityError.database(message: "database clock did not advance past \(target)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs raw SQL in the test schema (for invariant checks and fault injection).
    func query(_ sql: String) async throws -> PostgresRowSequence {
        try await client.query(PostgresQuery(unsafeSQL: sql.replacingOccurrences(of: "$schema", with: "\"\(schemaName)\"")),
                               logger: TestDatabase.logger)
    }

    func dropSchema() async throws {
        try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schemaName)\" CASCADE"),
                               logger: TestDatabase.logger)
    }
}
