/// How often a result the receiver did not take is tried again: exponential backoff per
/// entry, capped, with random jitter so entries (and workers) do not retry in lockstep.
public struct RedeliveryPolicy: Sendable, Hashable {
    /// Wait after the first failure.
    public var initialBackoff: Duration
    /// Longest wait between two attempts of one entry.
    public var maximumBackoff: Duration
    /// Fraction of each wait that is random: the wait is `backoff * (1 - jitter * r)`, r in [0, 1).
    public var jitter: Double

    /// Creates a policy.
    public init(initialBackoff: Duration = .seconds(5), maximumBackoff: Duration = .seconds(300), jitter: Double = 0.5) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = max(initialBackoff, maximumBackoff)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The wait after `failures` consecutive failures (1 = the first), before jitter.
    public func backoff(afterFailures failures: Int) -> Duration {
        var wait = initialBackoff
        var step = 1
        while step < failures && wait < maximumBackoff {
            wait *= 2
            step += 1
        }
        return min(wait, maximumBackoff)
    }

    /// The jittered wait after `failures` consecutive failures.
    public func delay(afterFailures failures: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let wait = backoff(afterFailures: failures)
        let fraction = 1 - jitter * Double.random(in: 0..<1, using: &generator)
        return wait * fraction
    }
}
