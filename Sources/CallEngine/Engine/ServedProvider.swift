import NIOConcurrencyHelpers
import SpeechServices

/// Captures which provider served a request, reported synchronously by fallback wrappers
/// through ``ProviderCallContext/onServed``.
final class ServedProvider: Sendable {
    private let value = NIOLockedValueBox<ProviderDescriptor?>(nil)

    func set(_ descriptor: ProviderDescriptor) {
        value.withLockedValue { $0 = descriptor }
    }

    var descriptor: ProviderDescriptor? { value.withLockedValue { $0 } }
}
