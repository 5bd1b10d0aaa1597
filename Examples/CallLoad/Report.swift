import Foundation

/// What one level measured, and the results table.
struct LevelReport {
    let calls: Int
    let turnsPerCall: Int
    let floorMilliseconds: Double
    let results: [CallMeasurement]
    let wallSeconds: Double
    let workerCPU: Double
    let callersCPU: Double
    let baselineRSS: Int
    let peakRSS: Int
    let rssAtFull: Int
    let peakActive: Int
    /// Most provider requests in flight at once at provider-fake (nil: not reported).
    let peakRequestsInFlight: Int?
    let workerLogLines: Int
    let workerLogBytes: Int
    let workerExitStatus: Int32
    let spoolEntries: Int

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }

    var latencies: [Double] { results.flatMap(\.replyLatencies).sorted() }
    var callMinutes: Double { results.map(\.seconds).reduce(0, +) / 60 }
    /// Turns that got no reply (a failed call's remaining turns count too).
    var failedTurns: Int { results.map { max(0, turnsPerCall - $0.replyLatencies.count) }.reduce(0, +) }
    var lateFrames: Int { results.map(\.lateFrames).reduce(0, +) }
    var missingFrames: Int { results.map(\.missingFrames).reduce(0, +) }
    var framesReceived: Int { results.map(\.framesReceived).reduce(0, +) }
    var cpuPerCallMinute: Double { workerCPU / max(callMinutes, 1e-9) }
    /// RSS growth per call with every call active (or at the peak of active calls).
    var megabytesPerCall: Double {
        let memoryCalls = rssAtFull > 0 ? calls : max(1, peakActive)
        let memoryPeak = rssAtFull > 0 ? rssAtFull : peakRSS
        return Double(memoryPeak - baselineRSS) / Double(memoryCalls) / 1_048_576
    }

    static func ms(_ value: Double) -> String { value.isNaN ? "-" : String(format: "%.0f", value) }

    func printDetails() {
        let failed = results.filter { $0.failure != nil }
        Swift.print(String(format: "  wall %.1f s, %.2f call-minutes, worker CPU %.2f s, callers CPU %.2f s (this process)", wallSeconds, callMinutes, workerCPU, callersCPU))
        Swift.print(String(format: "  worker RSS %.1f MB before, %.1f MB peak, %d calls active at most; %d log lines (%.1f kB) during the calls; exit %d after SIGTERM; %d result files left in the spool",
                           Double(baselineRSS) / 1_048_576, Double(max(peakRSS, rssAtFull)) / 1_048_576, peakActive,
                           workerLogLines, Double(workerLogBytes) / 1024, workerExitStatus, spoolEntries))
        let sorted = latencies
        Swift.print("  reply latency p50/p95/p99 \(Self.ms(Self.percentile(sorted, 50)))/\(Self.ms(Self.percentile(sorted, 95)))/\(Self.ms(Self.percentile(sorted, 99))) ms over \(sorted.count) turns; failed turns \(failedTurns); late frames \(lateFrames) (\(missingFrames) missing of \(framesReceived))")
        for (index, result) in failed.prefix(10).enumerated() {
            Swift.print("  failed call \(index): \(result.failure ?? "")")
        }
    }

    static func printTable(_ rows: [LevelReport]) {
        guard let first = rows.first else { return }
        Swift.print("")
        Swift.print("reply latency = caller's last speech frame sent -> first agent audio frame received; floor \(ms(first.floorMilliseconds)) ms (end-of-turn silence + first token + first sentence + TTS first audio)")
        Swift.print("")
        Swift.print("| concurrent calls | " + rows.map { "\($0.calls)" }.joined(separator: " | ") + " |")
        Swift.print("|---|" + rows.map { _ in "---:" }.joined(separator: "|") + "|")
        func row(_ title: String, _ value: (LevelReport) -> String) {
            Swift.print("| \(title) | " + rows.map(value).joined(separator: " | ") + " |")
        }
        row("reply latency p50 / p95 / p99 (ms)") { r in
            let s = r.latencies
            return "\(ms(percentile(s, 50))) / \(ms(percentile(s, 95))) / \(ms(percentile(s, 99)))"
        }
        row("p95 - floor (ms)") { ms(percentile($0.latencies, 95) - $0.floorMilliseconds) }
        row("failed turns") { "\($0.failedTurns) of \($0.calls * $0.turnsPerCall)" }
        row("late frames") { "\($0.lateFrames)" }
        row("worker CPU-s per call-minute") { String(format: "%.3f", $0.cpuPerCallMinute) }
        row("worker MB per call") { String(format: "%.2f", $0.megabytesPerCall) }
        row("most provider requests in flight") { $0.peakRequestsInFlight.map(String.init) ?? "-" }
        row("worker log lines per call") { String(format: "%.0f", Double($0.workerLogLines) / Double(max(1, $0.calls))) }
    }
}
