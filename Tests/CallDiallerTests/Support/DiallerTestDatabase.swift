import CallCapacity
import CallDialler
import Foundation
import Logging
import PostgresNIO
import Testing

/// The real PostgreSQL server of the tests (`CALL_CAPACITY_DATABASE_URL`, from `pg_start`).
/// Skipped with a visible reason without it, except on CI, where a missing URL fails.
enum DiallerTestDatabase {
    static var url: String? {
        guard let value = ProcessInfo.processInfo.environment["CALL_CAPACITY_DATABASE_URL"], !value.isEmpty else { return nil }
        return value
    }

    static var shouldRun: Bool {
        url != nil || ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"
    }

    static let skipReason: Comment = "CALL_CAPACITY_DATABASE_URL is not set: dialler PostgreSQL tests skipped (source .ci/postgres.sh; pg_start)"

    static let logger: Logger = {
        var logger = Logger(label: "call-dialler.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["DIALLER_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    /// A running client, a migrated dialler store and capacity registry in fresh schemas
    /// (dropped afterwards).
    static func with(_ body: (PostgresClient, DiallerStore, PostgresCapacityRegistry, String) async throws -> Void) async throws {
        try await withSchemas { client, store, registry, schemas in try await body(client, store, registry, schemas.dialler) }
    }

    /// Like ``with(_:)``; the body also gets the URL and both schema names (for a child process).
    static func withSchemas(
        _ body: (PostgresClient, DiallerStore, PostgresCapacityRegistry, (url: String, dialler: String, capacity: String)) async throws -> Void
    ) async throws {
        guard let url else {
            Issue.record("CI=true but CALL_CAPACITY_DATABASE_URL is not set")
            return
        }
        let client = PostgresClient(
            configuration: try PostgresCapacityConfiguration.clientConfiguration(url: url, maximumConnections: 16), backgroundLogger: logger)
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let diallerSchema = "dl_test_\(suffix)"
        let capacitySchema = "dlcc_test_\(suffix)"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let store = try DiallerStore(client: client, schema: diallerSchema, logger: logger)
            let registry = try PostgresCapacityRegistry(client: client, schema: capacitySchema, logger: logger)
            do {
                try await registry.migrate()
                try await store.migrate()
                // Idempotent: a second run applies nothing.
                #expect(try await store.migrate().isEmpty)
                try await body(client, store, registry, (url, diallerSchema, capacitySchema))
            } catch {
                try? await drop(client, diallerSchema, capacitySchema)
                throw error
            }
            try await drop(client, diallerSchema, capacitySchema)
        }
    }

    static func drop(_ client: PostgresClient, _ schemas: String...) async throws {
        for schema in schemas {
            try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"), logger: logger)
        }
    }

    /// One integer from a query.
    static func count(_ client: PostgresClient, _ sql: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        return -1
    }
}
