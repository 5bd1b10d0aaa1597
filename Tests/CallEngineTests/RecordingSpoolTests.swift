import CallAudio
import Foundation
import Logging
import Testing

@testable import CallEngine

/// Recording writes go through the spool: in order, off the caller's task, bounded when the
/// disk stalls, and failures reported instead of thrown at the call.
@Suite(.timeLimit(.minutes(2)))
struct RecordingSpoolTests {
    static let format = AudioFormat(encoding: .pcm16, sampleRate: 8000, channels: 2)
    static let logger = Logger(label: "test.recording")

    static func directory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func chunk(_ value: Int16, count: Int = 16000) -> [Int16] {
        var chunk = [Int16](repeating: value, count: count)
        chunk.reserveCapacity(count + 640)
        return chunk
    }

    @Test func chunksAreWrittenInOrderAndTheFileIsFinished() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("call.wav").path
        let spool = RecordingSpool(path: path, format: Self.format, maximumBacklog: 64, logger: Self.logger)
        for value in Int16(1)...5 {
            var chunk = Self.chunk(value)
            spool.submit(&chunk)
            // The caller gets an empty buffer back, ready for the next chunk.
            #expect(chunk.isEmpty)
        }
        let outcome = await spool.finish()
        #expect(outcome == RecordingSpool.Outcome(error: nil, droppedSamples: 0, writtenSamples: 5 * 16000))
        let file = try WAVFile(parsing: [UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(file.format == Self.format)
        let samples = file.pcm16Samples()
        #expect(samples.count == 5 * 16000)
        #expect(stride(from: 0, to: samples.count, by: 16000).map { samples[$0] } == [1, 2, 3, 4, 5])
    }

    /// A FIFO with no reader stalls the drain in `open` (on the thread pool): the recorder's
    /// submissions still return at once, and beyond the backlog they are dropped and counted.
    @Test func aStalledDiskDropsChunksBeyondTheBacklogInsteadOfBlockingTheCall() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("stalled.wav").path
        #expect(mkfifo(path, 0o600) == 0)
        let spool = RecordingSpool(path: path, format: Self.format, maximumBacklog: 3, logger: Self.logger)
        for value in Int16(1)...10 {
            var chunk = Self.chunk(value, count: 320)
            spool.submit(&chunk)
            #expect(chunk.isEmpty)
        }
        // Now let the "disk" move: a reader drains the FIFO until the writer closes it.
        let reader = Task.detached { () -> Int in
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            var total = 0
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { return total }
                total += n
            }
        }
        let outcome = await spool.finish()
        let bytes = await reader.value
        // 3 chunks of 320 samples were queued and written; 7 were dropped.
        #expect(outcome.writtenSamples == 3 * 320)
        #expect(outcome.droppedSamples == 7 * 320)
        #expect(bytes == 44 + 3 * 320 * 2)
        // Patching the header of a FIFO fails: reported, not thrown at the call.
        #expect(outcome.error != nil)
    }

    @Test func aRecordingThatCannotBeOpenedIsReportedAndItsAudioCounted() async throws {
        let spool = RecordingSpool(path: "/nonexistent-\(UUID().uuidString)/call.wav", format: Self.format, logger: Self.logger)
        var chunk = Self.chunk(7, count: 320)
        spool.submit(&chunk)
        let outcome = await spool.finish()
        #expect(outcome.error == .wav(.io(operation: "open", errno: ENOENT)))
        #expect(outcome.writtenSamples == 0)
        #expect(outcome.droppedSamples == 320)
    }
}
