import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes log lines to a file descriptor from one dedicated thread, so logging never blocks
/// the task that logs.
///
/// A `write(2)` to standard output blocks when the pipe behind it is full (a log collector
/// that stops reading). Done on the logging task, that would stop Swift's cooperative
/// threads, and with them every call's 20 ms audio. Here ``write(_:)`` only queues the line;
/// a one-thread `NIOThreadPool` of its own (not the shared singleton, whose threads the
/// result spool and recordings need) writes queued lines in order, in batches. The queue is
/// bounded: while the output is stuck, lines beyond `capacity` are dropped and counted, and
/// the count is written as a warning line of its own once the output moves again.
public final class LogLineWriter: Sendable {
    private struct Queue {
        var lines: [String] = []
        var dropped = 0
        var scheduled = false
    }

    /// The writer for standard output, used by ``JSONLogHandler/standardOutput``.
    public static let standardOutput = LogLineWriter(descriptor: STDOUT_FILENO)

    private let queue = NIOLockedValueBox(Queue())
    /// Held while lines are taken and written, so the thread and ``flush()`` keep the order.
    private let writing = NIOLock()
    private let pool: NIOThreadPool
    private let descriptor: Int32
    private let capacity: Int

    /// Creates a writer for `descriptor` (not closed by the writer) that queues at most
    /// `capacity` lines while the descriptor does not accept more.
    public init(descriptor: Int32, capacity: Int = 10_000) {
        self.descriptor = descriptor
        self.capacity = max(1, capacity)
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    deinit {
        // Queued work holds `self`, so nothing is pending here: the thread just ends.
        pool.shutdownGracefully { _ in }
    }

    /// Queues `line` (a newline is added). Never blocks on the output.
    public func write(_ line: String) {
        let schedule = queue.withLockedValue { queue -> Bool in
            guard queue.lines.count < capacity else {
                queue.dropped += 1
                return false
            }
            queue.lines.append(line)
            guard !queue.scheduled else { return false }
            queue.scheduled = true
            return true
        }
        if schedule {
            pool.submit { [self] _ in drain() }
        }
    }

    /// Writes every queued line on the calling thread (before the process exits).
    public func flush() {
        drain()
    }

    private func drain() {
        writing.withLock {
            while true {
                let (lines, dropped) = queue.withLockedValue { queue -> ([String], Int) in
                    guard !queue.lines.isEmpty || queue.dropped > 0 else {
                        queue.scheduled = false
                        return ([], 0)
                    }
                    var taken: [String] = []
                    swap(&taken, &queue.lines)
                    defer { queue.dropped = 0 }
                    return (taken, queue.dropped)
                }
                guard !lines.isEmpty || dropped > 0 else { return }
                var text = lines.joined(separator: "\n")
                if !lines.isEmpty { text += "\n" }
                if dropped > 0 {
                    text += JSONLogHandler.format(
                        timestamp: Date(), level: .warning, label: "call-worker.logging",
                        message: "log lines dropped while the output was blocked", metadata: ["dropped": "\(dropped)"]
                    ) + "\n"
                }
                writeAll(text)
            }
        }
    }

    /// Writes all of `text`, retrying interrupted and partial writes; other errors (a closed
    /// output) drop the rest.
    private func writeAll(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
