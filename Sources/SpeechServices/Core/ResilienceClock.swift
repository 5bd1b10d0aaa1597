/// The narrow clock the resilience layer needs: a monotonic "now" and a way to sleep.
///
/// Production code uses ``SystemResilienceClock``; tests inject a manual clock
/// (CallTesting's `ManualClock`) so breakers, backoff and timeouts never need real sleeping.
public protocol ResilienceClock: Sendable {
    /// Monotonic time elapsed since an arbitrary, fixed origin.
    func now() -> Duration
    /// Suspends until `now() >= deadline`. Throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Duration) async throws
}

/// A ``ResilienceClock`` backed by `ContinuousClock`.
public struct SystemResilienceClock: ResilienceClock {
    private let origin: ContinuousClock.Instant

    /// Creates a clock whose origin is the moment of creation.
    public init() {
        origin = ContinuousClock.now
    }

    /// Time since this clock was created.
    public func now() -> Duration {
        ContinuousClock.now - origin
    }

    /// Sleeps on `ContinuousClock` until the deadline.
    public func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin.advanced(by: deadline), tolerance: nil)
    }
}
