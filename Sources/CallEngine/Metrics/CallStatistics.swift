import Foundation
import Metrics
import NIOConcurrencyHelpers

/// Worker-wide call statistics: aggregated across calls for the `/api/v1/metrics` JSON
/// document, and mirrored to swift-metrics (and so to Prometheus) as they happen.
///
/// Thread-safe; share one instance between all calls of a worker.
public final class CallStatistics: Sendable {
    /// Stage a provider error happened in.
    public enum Stage: String, Sendable, CaseIterable {
        /// Speech to text.
        case stt
        /// Language model.
        case llm
        /// Text to speech.
        case tts
    }

    private struct State {
        var started = 0
        var completed = 0
        var failed = 0
        var active = 0
        var peakConcurrent = 0
        var totalDuration: Double = 0
        var replyLatencies: [Double] = []
        var latencyCursor = 0
        var stageTotals: [Stage: (sum: Double, count: Int)] = [:]
        var stageErrors: [Stage: Int] = [:]
        var wsDisconnects = 0
        var bufferOverflows = 0
        var sttCallsSaved = 0
        var ttsCacheHits = 0
        var bargeIns = 0
        var refusedCalls = 0
        var badMessages = 0
    }

    private let state = NIOLockedValueBox(State())
    private let startedAt = Date()
    /// Reply latencies kept for percentiles (a ring of the most recent).
    public static let latencyWindow = 10_000

    private let callsStarted = Counter(label: "call_engine_calls_started_total")
    private let activeCalls = Gauge(label: "call_engine_active_calls")
    private let replyLatency = Metrics.Timer(label: "call_engine_reply_latency_seconds")
    private let bargeInCounter = Counter(label: "call_engine_barge_ins_total")
    private let sttSavedCounter = Counter(label: "call_engine_stt_calls_saved_total")
    private let cacheHitCounter = Counter(label: "call_engine_tts_cache_hits_total")

    /// Creates empty statistics.
    public init() {}

    /// A call started.
    public func callStarted() {
        let active = state.withLockedValue { s in
            s.started += 1
            s.active += 1
            s.peakConcurrent = max(s.peakConcurrent, s.active)
            return s.active
        }
        callsStarted.increment()
        activeCalls.record(active)
    }

    /// A call ended with `result`.
    public func callEnded(_ result: CallResult) {
        let failed = [.providerFailure, .transportError, .cancelled].contains(result.endReason)
        let active = state.withLockedValue { s in
            s.active = max(0, s.active - 1)
            if failed { s.failed += 1 } else { s.completed += 1 }
            s.totalDuration += result.duration
            return s.active
        }
        Counter(label: "call_engine_calls_ended_total", dimensions: [("reason", result.endReason.rawValue)]).increment()
        activeCalls.record(active)
    }

    /// One turn's timings.
    public func turnCompleted(_ timings: TurnTimings) {
        state.withLockedValue { s in
            if let latency = timings.replyLatency?.seconds {
                if s.replyLatencies.count < Self.latencyWindow {
                    s.replyLatencies.append(latency)
                } else {
                    s.replyLatencies[s.latencyCursor] = latency
                    s.latencyCursor = (s.latencyCursor + 1) % Self.latencyWindow
                }
            }
            for (stage, value) in [(Stage.stt, timings.sttTime), (.llm, timings.llmTime), (.tts, timings.ttsTime)] {
                guard let seconds = value?.seconds else { continue }
                let total = s.stageTotals[stage] ?? (0, 0)
                s.stageTotals[stage] = (total.sum + seconds, total.count + 1)
            }
        }
        if let latency = timings.replyLatency { replyLatency.recordNanoseconds(latency.nanoseconds) }
    }

    /// A provider failed (after its resilience wrappers) in `stage`.
    public func providerError(_ stage: Stage) {
        state.withLockedValue { $0.stageErrors[stage, default: 0] += 1 }
        Counter(label: "call_engine_provider_errors_total", dimensions: [("stage", stage.rawValue)]).increment()
    }

    /// The caller interrupted the agent.
    public func bargeIn() {
        state.withLockedValue { $0.bargeIns += 1 }
        bargeInCounter.increment()
    }

    /// The short-audio filter saved an STT call.
    public func sttCallSaved() {
        state.withLockedValue { $0.sttCallsSaved += 1 }
        sttSavedCounter.increment()
    }

    /// A phrase came from the TTS cache.
    public func ttsCacheHit() {
        state.withLockedValue { $0.ttsCacheHits += 1 }
        cacheHitCounter.increment()
    }

    /// A WebSocket closed abnormally.
    public func wsDisconnect() {
        state.withLockedValue { $0.wsDisconnects += 1 }
        Counter(label: "call_engine_ws_disconnects_total").increment()
    }

    /// A bounded buffer dropped audio.
    public func bufferOverflow() {
        state.withLockedValue { $0.bufferOverflows += 1 }
        Counter(label: "call_engine_buffer_overflows_total").increment()
    }

    /// A call was refused (capacity, draining, unknown bot, bad signature).
    public func callRefused(reason: String) {
        state.withLockedValue { $0.refusedCalls += 1 }
        Counter(label: "call_engine_calls_refused_total", dimensions: [("reason", reason)]).increment()
    }

    /// A malformed carrier message was skipped or ended a call.
    public func badMessage(kind: String) {
        state.withLockedValue { $0.badMessages += 1 }
        Counter(label: "call_engine_bad_messages_total", dimensions: [("kind", kind)]).increment()
    }

    /// Calls in progress.
    public var activeCallCount: Int { state.withLockedValue { $0.active } }

    /// The `/api/v1/metrics` document.
    public func document() -> MetricsDocument {
        state.withLockedValue { s in
            let sorted = s.replyLatencies.sorted()
            func percentile(_ p: Double) -> Double? {
                guard !sorted.isEmpty else { return nil }
                let rank = Int((p * Double(sorted.count - 1)).rounded())
                return (sorted[rank] * 1000).rounded()
            }
            func average(_ stage: Stage) -> Double? {
                guard let total = s.stageTotals[stage], total.count > 0 else { return nil }
                return (total.sum / Double(total.count) * 1000).rounded()
            }
            let finished = s.completed + s.failed
            return MetricsDocument(
                calls: .init(
                    started: s.started, completed: s.completed, failed: s.failed, active: s.active,
                    peakConcurrent: s.peakConcurrent, refused: s.refusedCalls,
                    averageDurationSeconds: finished > 0 ? s.totalDuration / Double(finished) : 0,
                    successRate: finished > 0 ? Double(s.completed) / Double(finished) : 1
                ),
                pipeline: .init(
                    replyLatencyMs: .init(p50: percentile(0.5), p95: percentile(0.95), p99: percentile(0.99), samples: sorted.count),
                    averageSttMs: average(.stt), averageLlmMs: average(.llm), averageTtsMs: average(.tts),
                    sttCallsSaved: s.sttCallsSaved, ttsCacheHits: s.ttsCacheHits, bargeIns: s.bargeIns
                ),
                errors: .init(
                    sttErrors: s.stageErrors[.stt] ?? 0, llmErrors: s.stageErrors[.llm] ?? 0, ttsErrors: s.stageErrors[.tts] ?? 0,
                    wsDisconnects: s.wsDisconnects, bufferOverflows: s.bufferOverflows, badMessages: s.badMessages
                ),
                system: .init(uptimeSeconds: Date().timeIntervalSince(startedAt).rounded())
            )
        }
    }
}

extension Duration {
    /// Seconds as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Nanoseconds as an Int64.
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
