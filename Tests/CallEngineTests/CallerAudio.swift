import CallAudio
import CallEngine
import CallTesting

/// ``SyntheticCallerAudio`` as engine ``AudioFrame``s, the way a carrier adapter for each
/// codec delivers them: the mu-law test signal is put on the carrier's wire (mu-law, A-law
/// or 16 kHz PCM) and converted back into the engine's PCM16 frames at its rate.
enum CallerAudio {
    static func silence(seconds: Double, codec: CarrierCodec = .muLaw8k) -> [AudioFrame] {
        frames(SyntheticCallerAudio.silence(seconds: seconds), codec: codec)
    }

    static func speech(seconds: Double, seed: UInt64 = 1, codec: CarrierCodec = .muLaw8k) -> [AudioFrame] {
        frames(SyntheticCallerAudio.speech(seconds: seconds, seed: seed), codec: codec)
    }

    private static func frames(_ muLaw: [[UInt8]], codec: CarrierCodec) -> [AudioFrame] {
        let pcm = muLaw.map { MuLaw.decode($0) }
        var out: [AudioFrame] = []
        do {
            switch codec {
            case .muLaw8k:
                return pcm.compactMap { try? AudioFrame($0, sampleRate: 8000) }
            case .aLaw8k:
                // The carrier sends A-law; the adapter decodes it with the inbound converter.
                let inbound = try InboundAudioConverter(outputRate: 8000, encoding: .aLaw)
                for frame in pcm {
                    let wire = ALaw.encode(frame)
                    try wire.withUnsafeBufferPointer { codes throws(AudioError) in
                        try inbound.process(codes) { samples throws(AudioError) in out.append(try AudioFrame(samples, sampleRate: 8000)) }
                    }
                }
            case .pcm16k:
                // The carrier sends 16 kHz PCM; the engine runs at 16 kHz, so frames pass as they are.
                let resampler = try StreamingResampler<Int16>(from: 8000, to: 16000)
                let aligner = try FrameAligner<Int16>(frameSize: 320)
                var buffer = [Int16](repeating: 0, count: resampler.maximumOutputCount(forInputCount: 160))
                for frame in pcm {
                    let written = try frame.withUnsafeBufferPointer { input throws(AudioError) in
                        try buffer.withUnsafeMutableBufferPointer { output throws(AudioError) in try resampler.process(input, into: output) }
                    }
                    try buffer.withUnsafeBufferPointer { samples throws(AudioError) in
                        try aligner.append(UnsafeBufferPointer(rebasing: samples[0..<written])) { wide throws(AudioError) in
                            out.append(try AudioFrame(wide, sampleRate: 16000))
                        }
                    }
                }
            }
        } catch {
            return out
        }
        return out
    }
}
