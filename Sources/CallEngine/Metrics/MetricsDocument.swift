/// The worker's `/api/v1/metrics` JSON: calls, pipeline latencies, errors and system facts.
public struct MetricsDocument: Sendable, Codable, Equatable {
    /// Call counts.
    public struct Calls: Sendable, Codable, Equatable {
        public var started: Int
        public var completed: Int
        public var failed: Int
        public var active: Int
        public var peakConcurrent: Int
        public var refused: Int
        public var averageDurationSeconds: Double
        public var successRate: Double
    }

    /// Reply-latency percentiles in milliseconds (`nil` before the first turn).
    public struct Latency: Sendable, Codable, Equatable {
        public var p50: Double?
        public var p95: Double?
        public var p99: Double?
        public var samples: Int
    }

    /// Pipeline figures.
    public struct Pipeline: Sendable, Codable, Equatable {
        public var replyLatencyMs: Latency
        public var averageSttMs: Double?
        public var averageLlmMs: Double?
        public var averageTtsMs: Double?
        public var sttCallsSaved: Int
        public var ttsCacheHits: Int
        public var bargeIns: Int
    }

    /// Error counts by stage.
    public struct Errors: Sendable, Codable, Equatable {
        public var sttErrors: Int
        public var llmErrors: Int
        public var ttsErrors: Int
        public var wsDisconnects: Int
        public var bufferOverflows: Int
        public var badMessages: Int
    }

    /// Process facts.
    public struct System: Sendable, Codable, Equatable {
        public var uptimeSeconds: Double
    }

    /// Call counts.
    public var calls: Calls
    /// Pipeline figures.
    public var pipeline: Pipeline
    /// Error counts.
    public var errors: Errors
    /// Process facts.
    public var system: System
}
