import CallAudio
import SpeechServices

/// Turns one turn's TTS audio into PCM16 at the provider's own rate (G.711 output is
/// decoded). Resampling and the carrier's codec are the transport's job. Owned by one turn
/// task.
final class TurnSpeaker {
    private let format: AudioFormat
    /// A byte of a PCM16 sample split across two chunks.
    private var carry: UInt8?

    /// - Throws: ``CallEngineError/invalidConfiguration(_:)`` for a format the engine cannot
    ///   play (not mono, or a rate outside 8-48 kHz).
    init(format: AudioFormat) throws(CallEngineError) {
        guard format.channels == 1 else { throw .invalidConfiguration("TTS audio must be mono, got \(format)") }
        guard (8000...48000).contains(format.sampleRate) else { throw .invalidConfiguration("TTS rate \(format.sampleRate) Hz is outside 8-48 kHz") }
        self.format = format
    }

    /// The samples of one TTS chunk (a PCM16 sample split between chunks waits for the next).
    func convert(_ chunk: AudioChunk) throws(CallEngineError) -> PCMAudio {
        guard chunk.format == format else { throw .badAudio("TTS chunk in \(chunk.format), expected \(format)") }
        var samples: [Int16] = []
        switch format.encoding {
        case .pcm16:
            samples.reserveCapacity((chunk.bytes.count + 1) / 2)
            var index = 0
            if let low = carry, let high = chunk.bytes.first {
                samples.append(Int16(bitPattern: UInt16(low) | UInt16(high) << 8))
                carry = nil
                index = 1
            }
            while index + 1 < chunk.bytes.count {
                samples.append(Int16(bitPattern: UInt16(chunk.bytes[index]) | UInt16(chunk.bytes[index + 1]) << 8))
                index += 2
            }
            if index < chunk.bytes.count { carry = chunk.bytes[index] }
        case .muLaw:
            samples = MuLaw.decode(chunk.bytes)
        case .aLaw:
            samples = ALaw.decode(chunk.bytes)
        }
        return PCMAudio(samples: samples, sampleRate: format.sampleRate)
    }

    /// The end of a sentence: nothing is held back but half a sample, which is dropped.
    func finish() -> PCMAudio {
        carry = nil
        return PCMAudio(samples: [], sampleRate: format.sampleRate)
    }

    /// Drops buffered audio.
    func reset() {
        carry = nil
    }
}
