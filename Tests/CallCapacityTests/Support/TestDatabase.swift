import CallCapacity
import Foundation
import Logging
import PostgresNIO
import Testing

/// Access to the real PostgreSQL server the tests run against.
///
/// The server's URL comes from `CALL_CAPACITY_DATABASE_URL` (exported by `pg_start` in
/// `.ci/postgres.sh`). Without it the PostgreSQL suites are skipped with a visible reason,
/// except when `CI=true`: then they run and fail, because CI must exercise the real database.
enum TestDatabase {
    static let urlVariable = "CALL_CAPACITY_DATABASE_URL"

    static var url: String? {
        guard let value = ProcessInfo.processInfo.environment[urlVariable], !value.isEmpty else { return nil }
        return value
    }

    static var isCI: Bool {
        ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"
    }

    /// Whether the PostgreSQL suites run: with a URL, or on CI (where a missing URL fails).
    static var shouldRun: Bool {
        if url != nil || isCI { return true }
        // Printed once so the skip is visible in the plain `swift test` output too.
        printSkipNoticeOnce
        return false
    }

    static let skipReason: Comment =
        "CALL_CAPACITY_DATABASE_URL is not set: PostgreSQL tests skipped (run `source .ci/postgres.sh && pg_start` first)"

    private static let printSkipNoticeOnce: Void = {
        print("⚠️  \(skipReason)")
    }()

    static let logger: Logger = {
        var logger = Logger(label: "call-capacity.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["CALL_CAPACITY_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    /// The URL, or a recorded failure on CI when it is missing.
    static func requireURL(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let url { return url }
        Issue.record("CI=true but \(urlVariable) is not set: the PostgreSQL tests must run on CI", sourceLocation: sourceLocation)
        return nil
    }

    /// Runs `body` with a running `PostgresClient` and a registry in a fresh schema that is
    /// dropped afterwards, so tests running in parallel never see each other's workers.
    static func withRegistry(
        maximumConnections: Int = 12,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (PostgresHarness) async throws -> Void
    ) async throws {
        guard let url = requireURL(sourceLocation: sourceLocation) else { return }
        let configuration = try PostgresCapacityConfiguration.clientConfiguration(
            url: url, maximumConnections: maximumConnections
        )
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let schema = "cc_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
            let harness = PostgresHarness(
                client: client, schemaName: String(schema),
                registry: try PostgresCapacityRegistry(client: client, schema: String(schema), logger: logger)
            )
            do {
                try await harness.postgres.migrate()
                try await body(harness)
            } catch {
                try? await harness.dropSchema()
                group.cancelAll()
                throw error
            }
            try await harness.dropSchema()
            group.cancelAll()
        }
    }
}
