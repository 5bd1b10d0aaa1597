/// A fixed 20 ms PCM buffer the conversation decodes each inbound frame into, allocated
/// once per call so the per-frame path never allocates.
final class FrameScratch {
    let samples: UnsafeMutableBufferPointer<Int16>

    init(capacity: Int) {
        samples = .allocate(capacity: capacity)
        samples.initialize(repeating: 0)
    }

    deinit {
        samples.deallocate()
    }
}
