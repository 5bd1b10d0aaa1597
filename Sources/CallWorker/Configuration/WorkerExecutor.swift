import NIOCore
import NIOPosix

/// Where the worker's Swift Concurrency tasks run, from `WORKER_EXECUTOR`.
///
/// Every call's tasks (its read loop, engine, writer) wake up for each 20 ms media message, and
/// the sockets those messages cross live on NIO's event loops. With Swift's default global
/// executor every wake-up is a hand-off from an event-loop thread to a cooperative-pool thread
/// and back. ``eventLoops`` (the default) makes NIO's singleton event-loop group, which
/// Hummingbird and AsyncHTTPClient already use, Swift's global executor, so a task resumed by a
/// socket read runs on the thread that read it. It requires that no task blocks its thread;
/// the worker's blocking file I/O (result spool, recordings, log lines) runs on thread pools.
public enum WorkerExecutor: String, Sendable, CaseIterable {
    /// NIO's singleton event loops run all tasks (`WORKER_EXECUTOR=event-loops`, the default).
    case eventLoops = "event-loops"
    /// Swift's own cooperative pool (`WORKER_EXECUTOR=swift`).
    case swift

    /// The environment variable that chooses the executor.
    public static let environmentKey = "WORKER_EXECUTOR"

    /// The executor `environment` asks for (unset or empty: ``eventLoops``).
    /// - Throws: ``WorkerConfigurationError/invalidVariable(name:reason:)`` for an unknown value.
    public static func from(_ environment: [String: String]) throws(WorkerConfigurationError) -> WorkerExecutor {
        guard let raw = environment[environmentKey], !raw.isEmpty else { return .eventLoops }
        guard let executor = WorkerExecutor(rawValue: raw.lowercased()) else {
            throw .invalidVariable(
                name: environmentKey, reason: "expected one of \(allCases.map(\.rawValue).joined(separator: ", ")), got \(raw)")
        }
        return executor
    }

    /// Installs the executor. Call once, first thing in `main`, before any task is created.
    /// - Returns: whether the choice is in force (``swift`` always is; ``eventLoops`` is not
    ///   where NIO cannot take over the global executor, and the worker then runs on Swift's pool).
    @discardableResult
    public func install() -> Bool {
        switch self {
        case .swift: return true
        case .eventLoops: return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
    }
}
