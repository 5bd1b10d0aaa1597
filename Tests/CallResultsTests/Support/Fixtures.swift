import CallEngine
import CallResults
import Foundation
import Metrics
import MetricsTestKit
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

enum Fixtures {
    /// The process's metrics, recorded for assertions (bootstrapped once).
    static let metrics: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()

    static func count(_ label: String, _ dimensions: [(String, String)] = []) -> Int64 {
        _ = metrics
        return (try? metrics.expectCounter(label, dimensions))?.totalValue ?? 0
    }

    static func result(_ id: String, stream: String = "MZ1", reason: CallEndReason = .callerHungUp, padding: Int = 0) -> CallResult {
        CallResult(
            identity: CallIdentity(callID: id, streamID: stream, botID: "bot"), startedAt: Date(timeIntervalSince1970: 1_767_225_600),
            endedAt: Date(timeIntervalSince1970: 1_767_225_660), endReason: reason,
            transcript: [.caller(CallerTurn(text: "Hello" + String(repeating: " la", count: padding), speechStart: .zero, speechEnd: .seconds(1)))],
            lead: ["name": "Ada"], turns: [], usage: CallUsage(), estimatedCost: 0.01, errors: [], providers: [:], phases: []
        )
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)").path
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o777
    }

    static func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}

/// A monotonic clock the test advances by hand.
final class ManualClock: Sendable {
    private let start = ContinuousClock.now
    private let offset = NIOLockedValueBox(Duration.zero)

    var now: ContinuousClock.Instant { start + offset.withLockedValue { $0 } }

    func advance(by duration: Duration) {
        offset.withLockedValue { $0 += duration }
    }
}

/// The real file system with failures switched on by the test (EIO from a dying disk,
/// ENOSPC from a full one) on writes.
final class FailingFileSystem: OutboxFileSystem {
    let base = POSIXOutboxFileSystem()
    let failure = NIOLockedValueBox<Int32?>(nil)

    func prepareDirectory(_ directory: String) throws(ResultOutboxError) { try base.prepareDirectory(directory) }

    func writeDurably(_ bytes: [UInt8], name: String, in directory: String) throws(ResultOutboxError) {
        if let code = failure.withLockedValue({ $0 }) { throw ResultOutboxError(operation: "fsync", errno: code, path: directory + "/" + name) }
        try base.writeDurably(bytes, name: name, in: directory)
    }

    func read(name: String, in directory: String) throws(ResultOutboxError) -> [UInt8] { try base.read(name: name, in: directory) }
    func list(_ directory: String) throws(ResultOutboxError) -> [OutboxFile] { try base.list(directory) }
    func remove(name: String, in directory: String) throws(ResultOutboxError) { try base.remove(name: name, in: directory) }
    func move(name: String, from source: String, to destination: String) throws(ResultOutboxError) {
        try base.move(name: name, from: source, to: destination)
    }
}
