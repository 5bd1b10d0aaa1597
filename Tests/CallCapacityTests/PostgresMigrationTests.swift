import CallCapacity
import Foundation
import PostgresNIO
import Testing

/// Schema creation and migration against a real server.
@Suite("PostgreSQL migrations", .timeLimit(.minutes(2)), .enabled(if: TestDatabase.shouldRun, TestDatabase.skipReason))
struct PostgresMigrationTests {
    private func versions(_ harness: PostgresHarness) async throws -> [Int] {
        var result: [Int] = []
        for try await version in try await harness.query("SELECT version FROM $schema.schema_migrations ORDER BY version").decode(Int.self) {
            result.append(version)
        }
        return result
    }

    @Test("migrate is idempotent")
    func idempotent() async throws {
        try await TestDatabase.withRegistry { harness in
            // withRegistry already migrated once.
            let all = Array(1...PostgresCapacityRegistry.latestSchemaVersion)
            #expect(try await versions(harness) == all)
            #expect(try await harness.postgres.migrate() == [])
            #expect(try await harness.postgres.migrate() == [])
            #expect(try await versions(harness) == all)
            // The schema works after repeated migrations.
            try await harness.registry.register(RegistryBehaviours.worker("w1", slots: 1))
            #expect(try await RegistryBehaviours.reserve(harness.registry).reservation != nil)
        }
    }

    @Test("concurrent first-time migrations apply each version once")
    func concurrentMigrations() async throws {
        try await TestDatabase.withRegistry { harness in
            try await harness.dropSchema()
            let registry = harness.postgres
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await registry.migrate() } }
                var all: [[Int]] = []
                for try await versions in group { all.append(versions) }
                return all
            }
            let latest = PostgresCapacityRegistry.latestSchemaVersion
            #expect(applied.filter { !$0.isEmpty } == [Array(1...latest)])
            #expect(try await versions(harness) == Array(1...latest))
        }
    }

    @Test("a schema newer than the library is refused")
    func newerSchemaIsRefused() async throws {
        try await TestDatabase.withRegistry { harness in
            _ = try await harness.query("INSERT INTO $schema.schema_migrations (version, name) VALUES (999, 'from the future')")
            let latest = PostgresCapacityRegistry.latestSchemaVersion
            await #expect(throws: CapacityError.schemaTooNew(found: 999, supported: latest)) {
                try await harness.postgres.migrate()
            }
        }
    }

    @Test("a bad schema name is a typed error")
    func badSchemaName() async throws {
        try await TestDatabase.withRegistry { harness in
            #expect(throws: CapacityError.self) {
                try PostgresCapacityRegistry(client: harness.client, schema: "Robert'); DROP TABLE x;--", logger: TestDatabase.logger)
            }
        }
    }
}

/// URL parsing needs no server.
@Suite("PostgreSQL configuration")
struct PostgresConfigurationTests {
    @Test func parsesURL() throws {
        let configuration = try PostgresCapacityConfiguration.clientConfiguration(
            url: "postgres://cap%40user:p%2Fss@127.0.0.1:6543/fleet?sslmode=disable", maximumConnections: 7
        )
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "cap@user")
        #expect(configuration.password == "p/ss")
        #expect(configuration.database == "fleet")
        #expect(configuration.options.maximumConnections == 7)
    }

    @Test func defaults() throws {
        let configuration = try PostgresCapacityConfiguration.clientConfiguration(url: "postgresql://me@db.internal")
        #expect(configuration.port == 5432)
        #expect(configuration.database == "me")
        #expect(configuration.password == nil)
    }

    @Test(arguments: ["http://u@h/db", "postgres://h/db", "postgres://u@/db", "postgres://u@h/db?sslmode=bogus", "::not a url::"])
    func rejectsBadURL(url: String) {
        #expect(throws: CapacityError.self) {
            try PostgresCapacityConfiguration.clientConfiguration(url: url)
        }
    }
}
