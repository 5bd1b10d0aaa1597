import Logging
import ServiceLifecycle

/// Runs a ``Dialler`` as a swift-service-lifecycle `Service`: on graceful shutdown (SIGTERM) it
/// stops placing calls and returns once the live calls finished (bounded by
/// ``DiallerConfiguration/drainTimeout``). Put it after the HTTP server in the `ServiceGroup`, so
/// the server (which receives the live calls' callbacks and results) is shut down after it.
public struct DiallerService: Service {
    /// The dialler.
    public let dialler: Dialler

    /// Creates the service.
    public init(dialler: Dialler) { self.dialler = dialler }

    /// Runs until drained.
    public func run() async {
        let dialler = self.dialler
        await withGracefulShutdownHandler {
            await dialler.run()
        } onGracefulShutdown: {
            Task { await dialler.beginDrain() }
        }
    }
}
