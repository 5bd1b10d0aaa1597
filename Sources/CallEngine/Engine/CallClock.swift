/// Elapsed wall time since the call started, for stage timings.
///
/// Injected so tests can observe timings without depending on scheduling; audio-driven
/// behaviour (VAD, idle prompts, limits) runs on caller audio time instead, which is exact.
public struct CallClock: Sendable {
    private let elapsed: @Sendable () -> Duration

    /// A clock reading `elapsed()`.
    public init(_ elapsed: @escaping @Sendable () -> Duration) {
        self.elapsed = elapsed
    }

    /// A clock on `ContinuousClock`, starting now.
    public static func continuous() -> CallClock {
        let start = ContinuousClock.now
        return CallClock { ContinuousClock.now - start }
    }

    /// Time since the call started.
    public func now() -> Duration { elapsed() }
}
