/// The call's phase as an explicit state machine: every transition is checked against
/// ``CallPhase/allowedNext`` and timestamped.
public struct PhaseMachine: Sendable, Hashable, Codable {
    /// One recorded transition.
    public struct Transition: Sendable, Hashable, Codable {
        /// Phase left.
        public var from: CallPhase
        /// Phase entered.
        public var to: CallPhase
        /// Call time of the transition.
        public var at: Duration
    }

    /// Current phase.
    public private(set) var phase: CallPhase = .connecting
    /// Every transition so far, in order.
    public private(set) var transitions: [Transition] = []
    /// When the current phase was entered.
    public private(set) var enteredAt: Duration = .zero

    /// Bounded history of transitions kept in memory.
    public static let maximumRecordedTransitions = 2000

    /// Starts in ``CallPhase/connecting``.
    public init() {}

    /// Moves to `next`. Staying in the same phase is a no-op.
    /// - Throws: ``CallEngineError/illegalTransition(from:to:)`` for a transition the machine does not allow.
    public mutating func transition(to next: CallPhase, at time: Duration) throws(CallEngineError) {
        guard next != phase else { return }
        guard phase.allowedNext.contains(next) else {
            throw .illegalTransition(from: phase, to: next)
        }
        if transitions.count < Self.maximumRecordedTransitions {
            transitions.append(Transition(from: phase, to: next, at: time))
        }
        phase = next
        enteredAt = time
    }
}
