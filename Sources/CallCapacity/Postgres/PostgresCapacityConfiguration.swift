import Foundation
import PostgresNIO

/// Builds a `PostgresClient.Configuration` from a `postgres://` URL.
public enum PostgresCapacityConfiguration {
    /// Parses `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    ///
    /// The port defaults to 5432, the database to the user name. `sslmode` defaults to
    /// `prefer`; `disable` turns TLS off, `require` fails without TLS.
    /// - Parameters:
    ///   - url: The database URL (`postgres://` or `postgresql://`).
    ///   - maximumConnections: Pool size of the client.
    /// - Throws: ``CapacityError/invalidDatabaseURL(_:)`` when the URL cannot be used.
    public static func clientConfiguration(
        url: String,
        maximumConnections: Int = 20
    ) throws(CapacityError) -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url) else {
            throw .invalidDatabaseURL("not a URL")
        }
        guard components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw .invalidDatabaseURL("scheme must be postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw .invalidDatabaseURL("missing host") }
        guard let user = components.user, !user.isEmpty else { throw .invalidDatabaseURL("missing user") }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw .invalidDatabaseURL("unsupported sslmode \(sslMode)")
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding ?? components.password,
            database: database.isEmpty ? user : (database.removingPercentEncoding ?? database),
            tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        return configuration
    }
}
