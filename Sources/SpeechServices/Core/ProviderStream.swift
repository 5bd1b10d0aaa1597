/// A lazily started, cancellable stream of provider output with typed errors.
///
/// The producer closure runs in its own task when iteration starts, and it is cancelled
/// when the consumer stops iterating (the iterator is dropped) or the consuming task is
/// cancelled. Each call to `makeAsyncIterator()` runs the producer again.
/// Every failure surfaces as a ``ProviderError``.
public struct ProviderStream<Element: Sendable>: AsyncSequence, Sendable {
    /// Errors are always ``ProviderError``.
    public typealias Failure = ProviderError

    /// Receives the produced elements.
    public struct Continuation: Sendable {
        let base: AsyncThrowingStream<Element, any Error>.Continuation

        /// Hands one element to the consumer.
        public func yield(_ element: Element) {
            base.yield(element)
        }
    }

    private let provider: String
    private let producer: @Sendable (Continuation) async throws(ProviderError) -> Void

    /// Creates a stream whose elements come from `producer`. `provider` names the source in
    /// errors that are not already ``ProviderError``s.
    public init(provider: String, _ producer: @escaping @Sendable (Continuation) async throws(ProviderError) -> Void) {
        self.provider = provider
        self.producer = producer
    }

    /// A stream that yields the given elements and finishes.
    public static func elements(_ elements: [Element], provider: String) -> ProviderStream<Element> {
        ProviderStream(provider: provider) { continuation in
            for element in elements { continuation.yield(element) }
        }
    }

    /// A stream that fails immediately.
    public static func failing(_ error: ProviderError) -> ProviderStream<Element> {
        ProviderStream(provider: error.provider) { _ throws(ProviderError) in throw error }
    }

    /// Starts the producer and returns an iterator over its output.
    public func makeAsyncIterator() -> Iterator {
        let producer = self.producer
        let stream = AsyncThrowingStream<Element, any Error> { continuation in
            let task = Task {
                do {
                    try await producer(Continuation(base: continuation))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return Iterator(base: stream.makeAsyncIterator(), provider: provider)
    }

    /// Iterator with typed ``ProviderError`` failures.
    public struct Iterator: AsyncIteratorProtocol {
        /// Errors are always ``ProviderError``.
        public typealias Failure = ProviderError
        var base: AsyncThrowingStream<Element, any Error>.Iterator
        let provider: String

        /// The next element, or nil when the stream finished.
        public mutating func next() async throws(ProviderError) -> Element? {
            do {
                return try await base.next()
            } catch {
                throw ProviderError.wrapping(error, provider: provider)
            }
        }

        /// The next element, or nil when the stream finished.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(ProviderError) -> Element? {
            do {
                return try await base.next(isolation: actor)
            } catch {
                throw ProviderError.wrapping(error, provider: provider)
            }
        }
    }
}

extension ProviderStream {
    /// Collects every element (for tests, caches and non-streaming callers).
    public func collect() async throws(ProviderError) -> [Element] {
        var result: [Element] = []
        var iterator = makeAsyncIterator()
        while let element = try await iterator.next() { result.append(element) }
        return result
    }
}
