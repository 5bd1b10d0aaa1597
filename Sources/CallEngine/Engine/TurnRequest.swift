/// One unit of agent work, run as a child task of the call.
struct TurnRequest: Sendable {
    /// Turn number, unique within the call.
    var id: Int
    /// The work.
    var work: TurnWork
    /// Fired by the conversation to cancel the work (barge-in, call end).
    var signal: TurnSignal
}
