import CallEngine
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// The durable outbox of post-call results: one file per call, written before any delivery
/// attempt and removed only once a receiver acknowledged it.
///
/// - A final result is `<storageName>.json` (the exact webhook body, a ``CallResult``);
///   writing it replaces the call's checkpoint.
/// - A checkpoint (``checkpoint(_:)``, a partial result of a call still running) is
///   `<storageName>.checkpoint`. One left over at startup belongs to a worker that died
///   mid-call: ``recoverInterruptedCalls()`` turns it into a final result with end reason
///   ``CallEndReason/workerLost``.
/// - Entries that can never be delivered move to `dead-letter/`.
///
/// Every write goes to a temporary file (0600), is fsynced, renamed into place and the
/// directory fsynced, so a crash leaves the whole file or the previous one. The directory is
/// 0700 (results hold personal data). Blocking I/O runs on `NIOThreadPool.singleton`, never on
/// Swift's cooperative pool. Failures are counted (`spool_errors_total`) and reported by
/// ``storageHealth`` until the next successful write.
public final class ResultOutbox: StagedResultSink, ResultStorageHealthReporting {
    /// The outbox directory.
    public let directory: String
    /// Where undeliverable entries go (`<directory>/dead-letter`).
    public var deadLetterDirectory: String { directory + "/dead-letter" }
    /// Whether results can be stored now.
    public let storageHealth = ResultStorageHealth()
    private let fileSystem: any OutboxFileSystem
    /// Calls whose final result was stored: a checkpoint arriving late is dropped, so it
    /// cannot outlive the final result and come back as `worker_lost` after a restart.
    private let finished = NIOLockedValueBox(RecentNames(capacity: 4096))
    private let logger: Logger

    /// Extension of final results.
    public static let resultExtension = ".json"
    /// Extension of checkpoints of calls in progress.
    public static let checkpointExtension = ".checkpoint"

    private init(directory: String, fileSystem: any OutboxFileSystem, logger: Logger) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.fileSystem = fileSystem
        self.logger = logger
    }

    /// Opens the outbox, creating the directory (0700) if needed.
    /// - Throws: ``ResultOutboxError`` when the directory cannot be created or restricted.
    public static func open(
        directory: String,
        fileSystem: any OutboxFileSystem = POSIXOutboxFileSystem(),
        logger: Logger = Logger(label: "call-results.outbox")
    ) async throws(ResultOutboxError) -> ResultOutbox {
        let outbox = ResultOutbox(directory: directory, fileSystem: fileSystem, logger: logger)
        let path = outbox.directory
        try await outbox.blocking("mkdir") { () throws(ResultOutboxError) in try fileSystem.prepareDirectory(path) }
        return outbox
    }

    // MARK: Writing

    /// Stores a final result durably and drops the call's checkpoint.
    public func store(_ result: CallResult) async throws(ResultOutboxError) {
        let name = result.identity.storageName
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try result.jsonData())
        } catch {
            throw ResultOutboxError(operation: "encode", errno: EINVAL, path: name)
        }
        let (fileSystem, directory) = (self.fileSystem, self.directory)
        do throws(ResultOutboxError) {
            try await blocking("write") { () throws(ResultOutboxError) in
                try fileSystem.writeDurably(bytes, name: name + Self.resultExtension, in: directory)
                try fileSystem.remove(name: name + Self.checkpointExtension, in: directory)
            }
            storageHealth.markWritable()
            finished.withLockedValue { $0.insert(name) }
        } catch {
            noteWriteFailure(error, operation: "store", callID: result.identity.callID)
            throw error
        }
    }

    /// Stores a partial result of a running call (replacing its previous checkpoint).
    /// A failure is counted and logged, then thrown: the call goes on.
    public func checkpoint(_ result: CallResult) async throws {
        guard !finished.withLockedValue({ $0.contains(result.identity.storageName) }) else { return }
        let name = result.identity.storageName + Self.checkpointExtension
        let bytes = [UInt8](try result.jsonData())
        let (fileSystem, directory) = (self.fileSystem, self.directory)
        do throws(ResultOutboxError) {
            try await blocking("write") { () throws(ResultOutboxError) in try fileSystem.writeDurably(bytes, name: name, in: directory) }
            storageHealth.markWritable()
        } catch {
            noteWriteFailure(error, operation: "checkpoint", callID: result.identity.callID)
            throw error
        }
    }

    /// Spool-only delivery: stores the result. When storage fails the result is lost:
    /// counted in `results_lost_total`, logged with `call_sid`, and thrown.
    public func deliver(_ result: CallResult) async throws {
        do {
            try await store(result)
        } catch {
            Self.recordLost(result, error: "\(error)", logger: logger)
            throw error
        }
    }

    /// Step one of a staged delivery: ``store(_:)``, reporting the outcome instead of throwing.
    public func persist(_ result: CallResult) async -> ResultPersistence {
        do throws(ResultOutboxError) {
            try await store(result)
            return .durable
        } catch {
            return .failed(error)
        }
    }

    /// Spool only: a durable result stays for the next delivery; one that could not be
    /// stored is lost and reported.
    public func dispatch(_ result: CallResult, persistence: ResultPersistence) async {
        if case .failed(let error) = persistence {
            Self.recordLost(result, error: "\(error)", logger: logger)
        }
    }

    /// Writes and removes a probe file: clears ``storageHealth`` once the storage is writable
    /// again (or marks it unwritable).
    /// - Returns: whether the storage is writable.
    @discardableResult
    public func probe() async -> Bool {
        let (fileSystem, directory) = (self.fileSystem, self.directory)
        do throws(ResultOutboxError) {
            try await blocking("write") { () throws(ResultOutboxError) in
                try fileSystem.writeDurably(Array("probe\n".utf8), name: ".probe", in: directory)
                try fileSystem.remove(name: ".probe", in: directory)
            }
            storageHealth.markWritable()
            return true
        } catch {
            noteWriteFailure(error, operation: "probe", callID: nil)
            return false
        }
    }

    // MARK: Reading

    /// Final results waiting for delivery, oldest first. Each file decodes on its own: a bad
    /// one is returned as ``OutboxEntry/Content/undecodable(reason:)``, never thrown.
    /// - Throws: only when the directory itself cannot be listed.
    public func entries() async throws(ResultOutboxError) -> [OutboxEntry] {
        try await listing(skipping: []).entries
    }

    /// Every final result's file name, oldest first, and the entries not in `skipped` read and
    /// decoded (redelivery skips the entries still backing off without reading them).
    public func listing(skipping skipped: Set<String>) async throws(ResultOutboxError) -> (names: [String], entries: [OutboxEntry]) {
        let (fileSystem, directory) = (self.fileSystem, self.directory)
        let (names, raw) = try await blocking("list") { () throws(ResultOutboxError) -> ([String], [(String, Result<[UInt8], ResultOutboxError>)]) in
            let files = try fileSystem.list(directory)
                .filter { $0.name.hasSuffix(Self.resultExtension) }
                .sorted { ($0.modified, $0.name) < ($1.modified, $1.name) }
            let read = files.filter { !skipped.contains($0.name) }.map { file in
                (file.name, Result { () throws(ResultOutboxError) in try fileSystem.read(name: file.name, in: directory) })
            }
            return (files.map(\.name), read)
        }
        var entries: [OutboxEntry] = []
        entries.reserveCapacity(raw.count)
        for (name, read) in raw {
            switch read {
            case .success(let bytes):
                entries.append(OutboxEntry(name: name, bytes: bytes, content: Self.decode(bytes)))
            case .failure(let error) where error.isNotFound:
                continue  // delivered and removed meanwhile
            case .failure(let error):
                ResultMetrics.countSpoolError(operation: "read")
                logger.error("cannot read an outbox entry", metadata: ["file": "\(name)", "error": "\(error)"])
            }
        }
        return (names, entries)
    }

    /// Removes a delivered entry.
    public func remove(_ name: String) async throws(ResultOutboxError) {
        let (fileSystem, directory) = (self.fileSystem, self.directory)
        do throws(ResultOutboxError) {
            try await blocking("remove") { () throws(ResultOutboxError) in try fileSystem.remove(name: name, in: directory) }
        } catch {
            ResultMetrics.countSpoolError(operation: "remove")
            throw error
        }
    }

    /// Moves an entry that can never be delivered to `dead-letter/`: counted in
    /// `results_dead_lettered_total{reason}` and logged with `call_sid` (when known).
    /// - Parameters:
    ///   - name: The entry's file name.
    ///   - reason: A short label for the metric (`undecodable`, `rejected`, `invalid_request`).
    ///   - detail: What happened, for the log line.
    ///   - callID: The call's id, when the entry decoded.
    /// - Returns: whether the entry was moved (it stays in place otherwise, and is retried).
    @discardableResult
    public func moveToDeadLetter(_ name: String, reason: String, detail: String, callID: String?) async -> Bool {
        let (fileSystem, directory, deadLetter) = (self.fileSystem, self.directory, self.deadLetterDirectory)
        var logger = self.logger
        if let callID { logger[metadataKey: "call_sid"] = "\(callID)" }
        do {
            try await blocking("dead_letter") { () throws(ResultOutboxError) in
                try fileSystem.prepareDirectory(deadLetter)
                try fileSystem.move(name: name, from: directory, to: deadLetter)
            }
        } catch {
            ResultMetrics.countSpoolError(operation: "dead_letter")
            logger.error("cannot move an undeliverable result to dead-letter/", metadata: ["file": "\(name)", "error": "\(error)"])
            return false
        }
        ResultMetrics.countDeadLettered(reason: reason)
        logger.error("post-call result dead-lettered", metadata: [
            "file": "\(name)", "reason": "\(reason)", "detail": "\(detail)", "dead_letter": "\(deadLetter)",
        ])
        return true
    }

    // MARK: Recovery

    /// Turns every checkpoint left by a worker that died mid-call into a final result with
    /// end reason ``CallEndReason/workerLost`` (ended at the checkpoint's time), ready for
    /// delivery. A checkpoint whose call has a final result already is dropped; an undecodable
    /// one is dead-lettered. Call it once at startup, before calls are served.
    /// - Returns: the recovered results.
    public func recoverInterruptedCalls() async -> [CallResult] {
        let (fileSystem, directory) = (self.fileSystem, self.directory)
        let checkpoints: [(OutboxFile, Result<[UInt8], ResultOutboxError>)]
        do {
            checkpoints = try await blocking("list") { () throws(ResultOutboxError) -> [(OutboxFile, Result<[UInt8], ResultOutboxError>)] in
                try fileSystem.list(directory).filter { $0.name.hasSuffix(Self.checkpointExtension) }.map { file in
                    (file, Result { () throws(ResultOutboxError) in try fileSystem.read(name: file.name, in: directory) })
                }
            }
        } catch {
            ResultMetrics.countSpoolError(operation: "list")
            logger.error("cannot list the outbox for interrupted calls", metadata: ["error": "\(error)"])
            return []
        }
        let finals: Set<String>
        do {
            finals = Set(try await blocking("list") { () throws(ResultOutboxError) -> [String] in try fileSystem.list(directory).map(\.name) })
        } catch {
            return []
        }
        var recovered: [CallResult] = []
        for (file, read) in checkpoints {
            let stem = String(file.name.dropLast(Self.checkpointExtension.count))
            if finals.contains(stem + Self.resultExtension) {
                // The call ended and its result was stored; the checkpoint is stale.
                try? await blocking("remove") { () throws(ResultOutboxError) in try fileSystem.remove(name: file.name, in: directory) }
                continue
            }
            guard case .success(let bytes) = read else { continue }
            guard case .result(var result) = Self.decode(bytes) else {
                await moveToDeadLetter(file.name, reason: "undecodable", detail: "checkpoint is not a CallResult", callID: nil)
                continue
            }
            result.endReason = .workerLost
            result.endedAt = max(result.endedAt, Date(timeIntervalSince1970: file.modified))
            result.errors.append("worker lost during the call; partial result from its last checkpoint")
            do {
                try await store(result)
                recovered.append(result)
                var logger = self.logger
                logger[metadataKey: "call_sid"] = "\(result.identity.callID)"
                logger.warning("recovered the checkpoint of a call interrupted by a worker crash", metadata: ["end_reason": "worker_lost"])
            } catch {
                // Kept as a checkpoint: tried again at the next start.
                continue
            }
        }
        return recovered
    }

    // MARK: Helpers

    static func decode(_ bytes: [UInt8]) -> OutboxEntry.Content {
        do {
            return .result(try CallResult.decode(Data(bytes)))
        } catch {
            return .undecodable(reason: "\(error)")
        }
    }

    static func recordLost(_ result: CallResult, error: String, logger: Logger) {
        ResultMetrics.countLost()
        var logger = logger
        logger[metadataKey: "call_sid"] = "\(result.identity.callID)"
        logger.critical("post-call result lost: not stored and not delivered", metadata: ["error": "\(error)"])
    }

    private func noteWriteFailure(_ error: ResultOutboxError, operation: String, callID: String?) {
        ResultMetrics.countSpoolError(operation: operation)
        storageHealth.markUnwritable(error.description)
        var logger = self.logger
        if let callID { logger[metadataKey: "call_sid"] = "\(callID)" }
        logger.error("result outbox write failed", metadata: ["operation": "\(operation)", "error": "\(error)"])
    }

    /// Runs blocking file I/O on NIO's thread pool, shielded from the caller's cancellation
    /// (a result being stored when its call task is cancelled is still stored).
    private func blocking<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable () throws(ResultOutboxError) -> T
    ) async throws(ResultOutboxError) -> T {
        let directory = self.directory
        let outcome = await Task { () -> Result<T, ResultOutboxError> in
            do {
                return try await NIOThreadPool.singleton.runIfActive { Result { () throws(ResultOutboxError) in try body() } }
            } catch {
                // The thread pool is shut down: storage is unavailable.
                return .failure(ResultOutboxError(operation: operation, errno: ESHUTDOWN, path: directory))
            }
        }.value
        return try outcome.get()
    }
}

/// A bounded set of the most recent names (oldest dropped first).
struct RecentNames: Sendable {
    let capacity: Int
    private var names: Set<String> = []
    private var order: [String] = []
    private var head = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func contains(_ name: String) -> Bool { names.contains(name) }

    mutating func insert(_ name: String) {
        guard names.insert(name).inserted else { return }
        if order.count < capacity {
            order.append(name)
        } else {
            names.remove(order[head])
            order[head] = name
            head = (head + 1) % capacity
        }
    }
}
