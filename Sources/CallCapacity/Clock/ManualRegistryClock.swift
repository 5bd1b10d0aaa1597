import Foundation
import NIOConcurrencyHelpers

/// A clock that only moves when told to; for deterministic tests of expiry.
public final class ManualRegistryClock: RegistryClock {
    private let current: NIOLockedValueBox<Date>

    /// Creates a clock showing `start`.
    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.current = NIOLockedValueBox(start)
    }

    /// The time the clock shows.
    public func now() -> Date { current.withLockedValue { $0 } }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) {
        let seconds = duration.timeInterval
        current.withLockedValue { $0 = $0.addingTimeInterval(seconds) }
    }
}
