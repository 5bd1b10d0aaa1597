import CallWorker
import Foundation
import Testing

/// Logging never blocks the logger: with nothing reading the output, `write` keeps
/// returning, the overflow is counted, and the lines that were kept arrive in order with a
/// line saying how many were dropped.
@Suite(.timeLimit(.minutes(2)))
struct LogLineWriterTests {
    @Test func aBlockedOutputDropsAndCountsLinesInsteadOfBlockingTheLogger() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd); close(writeEnd) }
        let writer = LogLineWriter(descriptor: writeEnd, capacity: 500)
        // 20,000 lines of about 100 bytes (2 MB) into a 64 kB pipe nobody reads yet: every call
        // returns (this test would hang otherwise), and most lines cannot be kept.
        let padding = String(repeating: "x", count: 90)
        for index in 0..<20_000 {
            writer.write("line \(index) \(padding)")
        }
        // Now read until every line is accounted for: kept (in order) or reported dropped.
        let reader = Task.detached { () -> (kept: [Int], dropped: [Int], warnings: Bool) in
            var kept: [Int] = []
            var dropped: [Int] = []
            var warnings = true
            var pending = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while kept.count + dropped.reduce(0, +) < 20_000 {
                let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                pending.append(contentsOf: buffer[0..<n])
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    if let match = line.firstMatch(of: /"dropped":"(\d+)"/), let count = Int(match.1) {
                        dropped.append(count)
                        warnings = warnings && line.contains(#""level":"warning""#) && line.contains("log lines dropped")
                    } else if let index = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
                        kept.append(index)
                    }
                }
            }
            return (kept, dropped, warnings)
        }
        let (kept, dropped, warnings) = await reader.value
        #expect(kept.count + dropped.reduce(0, +) == 20_000)
        #expect(kept == kept.sorted())
        #expect(kept.first == 0)
        #expect(!dropped.isEmpty && dropped.allSatisfy { $0 > 0 })
        #expect(warnings)
        // At most the queue's capacity was held besides what the pipe took.
        #expect(kept.count < 20_000 / 2)
    }

    @Test func flushWritesWhatIsQueuedOnTheCallingThread() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let writer = LogLineWriter(descriptor: fds[1])
        for index in 0..<100 { writer.write("entry \(index)") }
        writer.flush()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var text = ""
        while !text.hasSuffix("entry 99\n") {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        #expect(text == (0..<100).map { "entry \($0)\n" }.joined())
    }
}
