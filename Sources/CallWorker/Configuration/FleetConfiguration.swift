import CallCapacity
import Foundation

/// How the worker joins a fleet-wide capacity registry (PostgreSQL), read from the
/// environment when `CAPACITY_DATABASE_URL` is set.
///
/// | Variable | Meaning | Default |
/// |---|---|---|
/// | `CAPACITY_DATABASE_URL` | `postgres://user:password@host:port/db?sslmode=...` | none: the worker runs alone |
/// | `CAPACITY_SCHEMA` | schema holding the registry tables | `call_capacity` |
/// | `WORKER_ID` | this worker's id in the registry | the host name |
/// | `WORKER_STREAM_URL` | where diallers send this worker's calls | `wss://$PUBLIC_HOST/ws` |
/// | `WORKER_LABELS` | `key=value` pairs, comma separated (region, version) | none |
/// | `REGISTRY_TTL` | lease length in seconds; heartbeats every third of it | 15 |
///
/// The database URL carries a password: it is kept out of `description` and the logs.
public struct FleetConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The PostgreSQL URL (secret).
    public var databaseURL: String
    /// The schema holding the registry's tables.
    public var schema: String
    /// This worker's registration (its slot count is the worker's `MAX_CONCURRENT_CALLS`).
    public var registration: WorkerRegistration

    /// Creates a configuration.
    public init(databaseURL: String, schema: String = "call_capacity", registration: WorkerRegistration) {
        self.databaseURL = databaseURL
        self.schema = schema
        self.registration = registration
    }

    /// A summary without the database URL.
    public var description: String {
        let labels = registration.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "worker_id=\(registration.workerID) stream_url=\(registration.streamURL) slots=\(registration.slots) "
            + "labels=\(labels) ttl_s=\(registration.ttl.components.seconds) schema=\(schema)"
    }

    /// Parses `key=value,key=value`.
    static func parseLabels(_ raw: String) -> [String: String]? {
        var labels: [String: String] = [:]
        for pair in raw.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, labels[parts[0]] == nil else { return nil }
            labels[parts[0]] = parts[1]
        }
        return labels
    }
}
