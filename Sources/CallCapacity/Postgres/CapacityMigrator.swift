import Logging
import PostgresNIO

/// Applies ``CapacitySchema`` migrations: versioned, idempotent and safe to run from many
/// processes at once.
///
/// Everything runs in one transaction that first takes a transaction-level advisory lock
/// keyed on the schema name, so concurrent starters queue up, and the second one finds the
/// work done. DDL is transactional in PostgreSQL, so a failed migration leaves nothing behind.
struct CapacityMigrator: Sendable {
    let schema: CapacitySchema

    /// The newest version this library knows.
    var latestVersion: Int { schema.migrations.map(\.version).max() ?? 0 }

    /// Applies the missing migrations and returns the versions it applied.
    func migrate(client: PostgresClient, logger: Logger) async throws(CapacityError) -> [Int] {
        let schema = self.schema
        let latest = latestVersion
        do {
            return try await client.withTransaction(logger: logger) { connection -> [Int] in
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext(\("call_capacity.migrate." + schema.name)))",
                    logger: logger
                )
                for statement in schema.bootstrap {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let rows = try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT version FROM \(schema.migrationsTable)"), logger: logger
                )
                var applied = Set<Int>()
                for try await version in rows.decode(Int.self) { applied.insert(version) }
                if let found = applied.max(), found > latest {
                    throw CapacityError.schemaTooNew(found: found, supported: latest)
                }
                var done: [Int] = []
                for migration in schema.migrations where !applied.contains(migration.version) {
                    logger.info("applying call-capacity migration", metadata: [
                        "schema": "\(schema.name)", "version": "\(migration.version)", "name": "\(migration.name)",
                    ])
                    for statement in migration.statements {
                        do {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        } catch {
                            throw CapacityError.migrationFailed(
                                version: migration.version, message: PostgresErrorMapping.message(of: error)
                            )
                        }
                    }
                    var binds = PostgresBindings()
                    binds.append(migration.version)
                    binds.append(migration.name)
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL: "INSERT INTO \(schema.migrationsTable) (version, name) VALUES ($1, $2)",
                            binds: binds
                        ),
                        logger: logger
                    )
                    done.append(migration.version)
                }
                return done
            }
        } catch {
            throw PostgresErrorMapping.map(error)
        }
    }
}
