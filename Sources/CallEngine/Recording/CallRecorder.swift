import CallAudio

/// Records both legs of a call to one stereo PCM16 WAV at the engine's rate (left: caller,
/// right: agent), aligned on the caller's 20 ms frame clock.
///
/// Agent audio (resampled to the engine's rate) is queued as it is sent and drained one
/// frame per caller frame, the way the carrier plays it; a barge-in `clear` drops what was
/// queued. The queue is bounded (60 s): beyond it the oldest agent audio is dropped and
/// counted. Memory stays constant: samples stream to disk through ``WAVStreamWriter``.
final class CallRecorder {
    private let writer: WAVStreamWriter
    private let sampleRate: Int
    private let maximumQueued: Int
    private var agentQueue: [Int16] = []
    private var agentRead = 0
    private var interleaved: [Int16]
    private var resampler: StreamingResampler<Int16>?
    private var resampled: [Int16] = []
    private(set) var droppedAgentSamples = 0

    init(path: String, sampleRate: Int) throws(AudioError) {
        writer = try WAVStreamWriter(path: path, format: AudioFormat(encoding: .pcm16, sampleRate: sampleRate, channels: 2))
        self.sampleRate = sampleRate
        maximumQueued = sampleRate * 60
        interleaved = [Int16](repeating: 0, count: 2 * AudioFrame.capacity)
        agentQueue.reserveCapacity(maximumQueued)
    }

    /// One caller frame: written beside the next frame of queued agent audio (or silence).
    func caller(_ samples: UnsafeBufferPointer<Int16>) throws(AudioError) {
        let count = min(samples.count, AudioFrame.capacity)
        for i in 0..<count {
            interleaved[2 * i] = samples[i]
            if agentRead < agentQueue.count {
                interleaved[2 * i + 1] = agentQueue[agentRead]
                agentRead += 1
            } else {
                interleaved[2 * i + 1] = 0
            }
        }
        if agentRead == agentQueue.count {
            agentQueue.removeAll(keepingCapacity: true)
            agentRead = 0
        }
        try interleaved.withUnsafeBufferPointer { buffer in
            Result { () throws(AudioError) in try writer.append(pcm16: UnsafeBufferPointer(rebasing: buffer[0..<(2 * count)])) }
        }.get()
    }

    /// Agent audio sent to the carrier.
    func agent(_ audio: PCMAudio) {
        var samples = audio.samples
        if audio.sampleRate != sampleRate {
            do {
                if resampler?.inputRate != Double(audio.sampleRate) {
                    resampler = try StreamingResampler<Int16>(from: Double(audio.sampleRate), to: Double(sampleRate))
                }
                guard let resampler else { return }
                let capacity = resampler.maximumOutputCount(forInputCount: samples.count)
                if resampled.count < capacity { resampled = [Int16](repeating: 0, count: capacity) }
                let written = try samples.withUnsafeBufferPointer { input in
                    try resampled.withUnsafeMutableBufferPointer { output in
                        Result { () throws(AudioError) in try resampler.process(input, into: output) }
                    }.get()
                }
                samples = Array(resampled[0..<written])
            } catch {
                droppedAgentSamples += samples.count
                return
            }
        }
        if agentRead > 0 && agentQueue.count + samples.count > maximumQueued {
            agentQueue.removeFirst(agentRead)
            agentRead = 0
        }
        let overflow = agentQueue.count + samples.count - maximumQueued
        if overflow > 0 {
            let drop = min(overflow, agentQueue.count)
            agentQueue.removeFirst(drop)
            droppedAgentSamples += overflow
        }
        agentQueue.append(contentsOf: samples.suffix(maximumQueued))
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
