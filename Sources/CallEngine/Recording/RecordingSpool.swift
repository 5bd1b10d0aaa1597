import CallAudio
import Logging
import NIOConcurrencyHelpers
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Carries a call recording's disk writes off Swift's cooperative pool.
///
/// The recorder fills chunks of interleaved samples on the call's actor and hands each full
/// chunk over with ``submit(_:)``; one drain task opens the WAV file, appends the chunks in
/// order and closes it (header patch and fsync), each step on `NIOThreadPool.singleton`. A
/// slow or stalled disk therefore never holds a cooperative thread that other calls' 20 ms
/// frames need.
///
/// Memory is bounded and steady-state recording allocates nothing: written chunks are handed
/// back for reuse, and when the disk falls more than `maximumBacklog` chunks behind, new
/// chunks are dropped and counted instead of queued. The first failure is logged at once
/// (with the call's `call_sid` from `logger`); ``finish()`` reports it with the totals.
final class RecordingSpool: Sendable {
    /// How the recording went, known once the file is closed.
    struct Outcome: Sendable, Equatable {
        /// The first I/O error, if any (later chunks were dropped).
        var error: AudioError?
        /// Samples (both channels) dropped because the disk was behind or had failed.
        var droppedSamples = 0
        /// Samples (both channels) written to the file.
        var writtenSamples = 0
    }

    private struct State {
        var free: [[Int16]] = []
        var backlog = 0
        var failed = false
        var dropped = 0
    }

    /// The state the recorder and the drain task share.
    private final class Shared: Sendable {
        let state = NIOLockedValueBox(State())
    }

    private let shared = Shared()
    private let continuation: AsyncStream<[Int16]>.Continuation
    private let drain: Task<Outcome, Never>
    private let maximumBacklog: Int

    /// Starts the drain: the file at `path` is created (mode 0600) on the thread pool.
    init(path: String, format: AudioFormat, maximumBacklog: Int = 8, logger: Logger) {
        let (chunks, continuation) = AsyncStream.makeStream(of: [Int16].self)
        self.continuation = continuation
        self.maximumBacklog = maximumBacklog
        let shared = self.shared
        // Unstructured on purpose: the drain must finish writing even when the call's task is
        // cancelled (a worker shutting down still closes its recordings). `finish()` joins it,
        // so it never outlives the conversation that owns it.
        drain = Task {
            var outcome = Outcome()
            var file: RecordingFile?
            do throws(AudioError) {
                file = try await RecordingFile.open(path: path, format: format)
            } catch {
                outcome.error = error
                shared.state.withLockedValue { $0.failed = true }
                logger.error("cannot open call recording", metadata: ["path": "\(path)", "error": "\(error)"])
            }
            for await chunk in chunks {
                var chunk = chunk
                if let writing = file, outcome.error == nil {
                    do throws(AudioError) {
                        try await writing.append(chunk)
                        outcome.writtenSamples += chunk.count
                    } catch {
                        outcome.error = error
                        shared.state.withLockedValue { $0.failed = true; $0.dropped += chunk.count }
                        logger.error("call recording stopped", metadata: ["path": "\(path)", "error": "\(error)"])
                    }
                } else {
                    shared.state.withLockedValue { $0.dropped += chunk.count }
                }
                chunk.removeAll(keepingCapacity: true)
                shared.state.withLockedValue { state in
                    state.backlog -= 1
                    if state.free.count < 2 { state.free.append(chunk) }
                }
            }
            if let writing = file {
                do throws(AudioError) {
                    try await writing.close()
                } catch {
                    if outcome.error == nil { outcome.error = error }
                    logger.error("cannot finish call recording", metadata: ["path": "\(path)", "error": "\(error)"])
                }
            }
            outcome.droppedSamples = shared.state.withLockedValue { $0.dropped }
            return outcome
        }
    }

    deinit {
        // A recording dropped without ``finish()`` (a call refused before it ran) still ends
        // its drain, which closes the file.
        continuation.finish()
    }

    /// Hands a full chunk to the drain and replaces it with an empty buffer (a reused one
    /// when available, so the caller's appends do not allocate). Never blocks: when the
    /// backlog is full or the file has failed, the chunk is dropped and counted.
    func submit(_ chunk: inout [Int16]) {
        let capacity = chunk.capacity
        let (accepted, reused) = shared.state.withLockedValue { state -> (Bool, [Int16]?) in
            guard !state.failed, state.backlog < maximumBacklog else {
                state.dropped += chunk.count
                return (false, nil)
            }
            state.backlog += 1
            return (true, state.free.popLast())
        }
        guard accepted else {
            chunk.removeAll(keepingCapacity: true)
            return
        }
        var next: [Int16]
        if let reused {
            next = reused
        } else {
            next = []
            next.reserveCapacity(capacity)
        }
        swap(&chunk, &next)
        continuation.yield(next)
    }

    /// No more chunks: waits until every queued chunk is written and the file is closed.
    func finish() async -> Outcome {
        continuation.finish()
        return await drain.value
    }
}

/// One recording's WAV file. Only the spool's drain task uses it, one operation at a time,
/// each on the blocking-I/O thread pool: that is the invariant behind `@unchecked Sendable`.
private final class RecordingFile: @unchecked Sendable {
    private let writer: WAVStreamWriter

    private init(writer: WAVStreamWriter) {
        self.writer = writer
    }

    static func open(path: String, format: AudioFormat) async throws(AudioError) -> RecordingFile {
        try await blocking { () throws(AudioError) in RecordingFile(writer: try WAVStreamWriter(path: path, format: format)) }
    }

    func append(_ samples: [Int16]) async throws(AudioError) {
        try await Self.blocking { () throws(AudioError) in try self.writer.append(pcm16: samples) }
    }

    func close() async throws(AudioError) {
        try await Self.blocking { () throws(AudioError) in try self.writer.close() }
    }

    /// Runs blocking file I/O on NIO's thread pool.
    private static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(AudioError) -> T) async throws(AudioError) -> T {
        let outcome: Result<T, AudioError>
        do {
            outcome = try await NIOThreadPool.singleton.runIfActive { Result { () throws(AudioError) in try body() } }
        } catch {
            // The thread pool is shut down: storage is unavailable.
            outcome = .failure(.wav(.io(operation: "thread pool", errno: ESHUTDOWN)))
        }
        return try outcome.get()
    }
}
