import CallAudio
import Logging

/// Records both legs of a call to one stereo PCM16 WAV at the engine's rate (left: caller,
/// right: agent), aligned on the caller's 20 ms frame clock.
///
/// Agent audio (resampled to the engine's rate) is queued as it is sent and drained one
/// frame per caller frame, the way the carrier plays it; a barge-in `clear` drops what was
/// queued. The queue is bounded (60 s): beyond it the oldest agent audio is dropped and
/// counted. Memory stays constant: interleaved samples are gathered into 1 s chunks and
/// written off the cooperative pool by a ``RecordingSpool``; the per-frame path only copies
/// samples into a buffer reserved in advance.
final class CallRecorder {
    private let spool: RecordingSpool
    private var pending: [Int16] = []
    private let chunkSamples: Int
    private let sampleRate: Int
    private let maximumQueued: Int
    private var agentQueue: [Int16] = []
    private var agentRead = 0
    private var resampler: StreamingResampler<Int16>?
    private var resampled: [Int16] = []
    private(set) var droppedAgentSamples = 0

    /// Starts recording to `path` (created on the I/O thread pool; failures are logged with
    /// `logger`'s `call_sid` and reported by ``close()``).
    init(path: String, sampleRate: Int, logger: Logger) {
        spool = RecordingSpool(path: path, format: AudioFormat(encoding: .pcm16, sampleRate: sampleRate, channels: 2), logger: logger)
        self.sampleRate = sampleRate
        maximumQueued = sampleRate * 60
        chunkSamples = 2 * sampleRate
        // Room for one chunk plus one frame, so appending a frame never reallocates.
        pending.reserveCapacity(chunkSamples + 2 * AudioFrame.capacity)
        agentQueue.reserveCapacity(maximumQueued)
    }

    /// One caller frame: recorded beside the next frame of queued agent audio (or silence).
    func caller(_ samples: UnsafeBufferPointer<Int16>) {
        let count = min(samples.count, AudioFrame.capacity)
        for i in 0..<count {
            pending.append(samples[i])
            if agentRead < agentQueue.count {
                pending.append(agentQueue[agentRead])
                agentRead += 1
            } else {
                pending.append(0)
            }
        }
        if agentRead == agentQueue.count {
            agentQueue.removeAll(keepingCapacity: true)
            agentRead = 0
        }
        if pending.count >= chunkSamples { spool.submit(&pending) }
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

    /// Hands over what is left; the returned spool's ``RecordingSpool/finish()`` waits until
    /// the file is finished (header patched, fsynced) off the cooperative pool.
    func stop() -> RecordingSpool {
        if !pending.isEmpty { spool.submit(&pending) }
        return spool
    }
}
