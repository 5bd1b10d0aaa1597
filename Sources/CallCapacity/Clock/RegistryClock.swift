import Foundation

/// Where ``InMemoryCapacityRegistry`` reads the time. Inject ``ManualRegistryClock`` in tests.
public protocol RegistryClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The system wall clock.
public struct SystemRegistryClock: RegistryClock {
    /// Creates the system clock.
    public init() {}

    /// `Date()`.
    public func now() -> Date { Date() }
}
