import Foundation

/// The worker's one drain budget after SIGTERM, split between its three phases so the whole
/// drain fits the orchestrator's grace period:
///
/// 1. waiting for active calls to end by themselves (``callWait``),
/// 2. the goodbye: calls still running are ended politely, with the bot's goodbye line (``goodbye``),
/// 3. the force-end: calls that outlast their goodbye are ended at once, and every call's
///    end-of-call work (durable result, registry release, a delivery attempt) finishes (``forceEnd``).
///
/// The split: force-end a tenth of the total (at least 1 s, at most 5 s), goodbye a fifth (at
/// most 10 s), the rest for the calls. The default 50 s gives 35 s + 10 s + 5 s.
public struct DrainBudget: Sendable, Hashable, CustomStringConvertible {
    /// The whole budget.
    public let total: Duration
    /// Phase 1: active calls may continue.
    public let callWait: Duration
    /// Phase 2: politely ended calls may play their goodbye.
    public let goodbye: Duration
    /// Phase 3: calls ended at once finish their end-of-call work.
    public let forceEnd: Duration

    /// Splits `total`.
    public init(total: Duration) {
        let total = max(total, .zero)
        self.total = total
        forceEnd = min(total, min(.seconds(5), max(.seconds(1), total / 10)))
        goodbye = min(total - forceEnd, min(.seconds(10), total / 5))
        callWait = total - forceEnd - goodbye
    }

    /// `50 s (calls 35 s, goodbye 10 s, force-end 5 s)`.
    public var description: String {
        "\(Self.seconds(total)) s (calls \(Self.seconds(callWait)) s, goodbye \(Self.seconds(goodbye)) s, force-end \(Self.seconds(forceEnd)) s)"
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
