import SpeechServices
import Synchronization

/// Captures which provider served a request, reported synchronously by fallback wrappers
/// through ``ProviderCallContext/onServed``.
final class ServedProvider: Sendable {
    private let value = Mutex<ProviderDescriptor?>(nil)

    func set(_ descriptor: ProviderDescriptor) {
        value.withLock { $0 = descriptor }
    }

    var descriptor: ProviderDescriptor? { value.withLock { $0 } }
}
