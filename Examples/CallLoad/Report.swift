import Foundation

/// The load test's results table.
struct Report {
    let options: Options
    let results: [CallMeasurement]
    let wallSeconds: Double
    let workerCPU: Double
    let simulatorCPU: Double
    let baselineRSS: Int
    let peakRSS: Int
    let rssAtFull: Int
    let peakActive: Int

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }

    func print() {
        let latencies = results.flatMap(\.replyLatencies).sorted()
        let failed = results.filter { $0.failure != nil }
        let callMinutes = results.map(\.seconds).reduce(0, +) / 60
        let late = results.map(\.lateFrames).reduce(0, +)
        let missing = results.map(\.missingFrames).reduce(0, +)
        let frames = results.map(\.framesReceived).reduce(0, +)
        let fixed = FixedLatency.fixedWaitMilliseconds
        let p50 = Self.percentile(latencies, 50), p95 = Self.percentile(latencies, 95), p99 = Self.percentile(latencies, 99)
        let memoryCalls = rssAtFull > 0 ? options.calls : max(1, peakActive)
        let memoryPeak = rssAtFull > 0 ? rssAtFull : peakRSS
        let perCall = Double(memoryPeak - baselineRSS) / Double(memoryCalls) / 1_048_576
        func ms(_ value: Double) -> String { value.isNaN ? "-" : String(format: "%.0f", value) }

        Swift.print("")
        Swift.print("| calls | turns | reply p50 / p95 / p99 (ms) | p95 - fixed waits (ms) | late frames / missing 20 ms frames (of received) | failed calls | worker CPU-s per call-minute | worker MB per active call | simulator CPU-s per call-minute |")
        Swift.print("|---|---|---|---|---|---|---|---|---|")
        Swift.print("| \(options.calls) | \(latencies.count) | \(ms(p50)) / \(ms(p95)) / \(ms(p99)) | \(ms(p95 - fixed)) | \(late) / \(missing) (of \(frames)) | \(failed.count) | \(String(format: "%.3f", workerCPU / max(callMinutes, 1e-9))) | \(String(format: "%.2f", perCall)) | \(String(format: "%.3f", simulatorCPU / max(callMinutes, 1e-9))) |")
        Swift.print("")
        Swift.print(String(format: "wall %.1f s, %.2f call-minutes, worker CPU %.2f s (user+sys of the worker process only), simulator+wire-server CPU %.2f s", wallSeconds, callMinutes, workerCPU, simulatorCPU))
        Swift.print(String(format: "worker RSS: %.1f MB before the calls, %.1f MB peak (%@), peak concurrently active calls %d",
                           Double(baselineRSS) / 1_048_576, Double(memoryPeak) / 1_048_576, rssAtFull > 0 ? "all calls active" : "overall", peakActive))
        Swift.print("fixed waits \(Int(fixed)) ms; reply latency = caller's last speech frame sent -> first agent audio frame received by the caller")
        for (index, result) in results.enumerated() where result.failure != nil {
            Swift.print("failed call \(index): \(result.failure ?? "")")
            if index > 20 { break }
        }
    }
}
