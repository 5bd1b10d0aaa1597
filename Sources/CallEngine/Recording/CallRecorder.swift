import CallAudio

/// Records both legs of a call to one stereo mu-law WAV (left: caller, right: agent),
/// aligned on the caller's 20 ms frame clock.
///
/// Agent audio is queued as it is sent and drained one frame per caller frame, the way the
/// carrier plays it; a barge-in `clear` drops what was queued. The queue is bounded
/// (``maximumQueuedAgentBytes``): beyond it the oldest agent audio is dropped and counted.
/// Memory stays constant: samples stream to disk through ``WAVStreamWriter``.
final class CallRecorder {
    /// Most agent audio held waiting to be "played" into the recording (60 s).
    static let maximumQueuedAgentBytes = 8000 * 60

    private let writer: WAVStreamWriter
    private var agentQueue: [UInt8] = []
    private var agentRead = 0
    private var interleaved = [UInt8](repeating: 0, count: 2 * AudioFrame.capacity)
    private(set) var droppedAgentBytes = 0

    init(path: String) throws(AudioError) {
        writer = try WAVStreamWriter(path: path, format: AudioFormat(encoding: .muLaw, sampleRate: 8000, channels: 2))
        agentQueue.reserveCapacity(Self.maximumQueuedAgentBytes)
    }

    /// One caller frame: written beside the next frame of queued agent audio (or silence).
    func caller(_ codes: UnsafeBufferPointer<UInt8>) throws(AudioError) {
        for i in 0..<codes.count {
            interleaved[2 * i] = codes[i]
            if agentRead < agentQueue.count {
                interleaved[2 * i + 1] = agentQueue[agentRead]
                agentRead += 1
            } else {
                interleaved[2 * i + 1] = MuLaw.silenceCode
            }
        }
        if agentRead == agentQueue.count {
            agentQueue.removeAll(keepingCapacity: true)
            agentRead = 0
        }
        let count = 2 * codes.count
        try interleaved.withUnsafeBytes { raw in
            Result { () throws(AudioError) in try writer.append(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<count])) }
        }.get()
    }

    /// Agent audio sent to the carrier.
    func agent(_ frames: [UInt8]) {
        if agentRead > 0 && agentQueue.count + frames.count > Self.maximumQueuedAgentBytes {
            agentQueue.removeFirst(agentRead)
            agentRead = 0
        }
        let overflow = agentQueue.count + frames.count - Self.maximumQueuedAgentBytes
        if overflow > 0 {
            let drop = min(overflow, agentQueue.count)
            agentQueue.removeFirst(drop)
            droppedAgentBytes += overflow
        }
        agentQueue.append(contentsOf: frames.suffix(Self.maximumQueuedAgentBytes))
    }

    /// The carrier flushed queued agent audio (barge-in).
    func clear() {
        agentQueue.removeAll(keepingCapacity: true)
        agentRead = 0
    }

    /// Finishes the file (patches the header, fsyncs).
    func close() throws(AudioError) {
        try writer.close()
    }
}
