import NIOConcurrencyHelpers
import NIOCore

/// Accepted WebSocket upgrades whose call handler has not started yet, by connection.
///
/// A slot is reserved when the upgrade is accepted. If the connection closes before the
/// handler claims the slot (the client aborted the handshake), the reservation is released
/// at once instead of waiting for ``CallRegistry/reservationLifetime``. Exactly one of
/// ``take(_:)`` (the handler) and the close callback wins.
final class PendingUpgrades: Sendable {
    private let pending = NIOLockedValueBox<Set<ObjectIdentifier>>([])

    /// Records an accepted upgrade on `channel`; `onAbort` runs if it closes before ``take(_:)``.
    func add(_ channel: any Channel, onAbort: @escaping @Sendable () -> Void) {
        let key = ObjectIdentifier(channel)
        pending.withLockedValue { _ = $0.insert(key) }
        channel.closeFuture.whenComplete { [weak self] _ in
            guard let self, self.pending.withLockedValue({ $0.remove(key) != nil }) else { return }
            onAbort()
        }
    }

    /// Removes the upgrade on `channel`; false when it was already aborted.
    func take(_ channel: any Channel) -> Bool {
        pending.withLockedValue { $0.remove(ObjectIdentifier(channel)) != nil }
    }

    /// Upgrades accepted and not yet taken or aborted.
    var count: Int { pending.withLockedValue { $0.count } }
}
