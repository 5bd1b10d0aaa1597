import CallAudio
import Foundation

/// Classifies fixed-length PCM16 frames as speech or non-speech.
///
/// Each frame is analysed over a 32 ms Hann window (the frame plus the end of the
/// previous ones) with a real FFT, in about 25 bands of 125 Hz between 300 and 3400 Hz.
/// Per-band and per-bin noise estimates (a recursive average bounded below by a running
/// minimum) make stationary noise (white, pink, brown, mains hum) flat. The speech score is
/// a fixed linear model (``ScoreModel``) of: the in-band SNR, a per-band likelihood ratio,
/// the share of bands 6 dB above their noise, the periodicity of the per-bin excess over
/// the noise (voicing) relative to the periodicity the background itself shows (babble is
/// periodic too), and how far the frame is below the loudest recent frame. A short
/// hysteresis turns the score into the decision.
///
/// One instance serves one call: it keeps that call's noise estimate. All memory is
/// allocated in `init`; ``classify(_:)`` does not allocate. Not safe to use from two
/// tasks at once (it is not `Sendable`); hand it to the task that owns the call.
public final class FrameClassifier {
    /// The configuration this classifier was created with.
    public let configuration: FrameClassifierConfiguration
    /// Samples expected in every frame.
    public let samplesPerFrame: Int

    let fftSize: Int
    private let fft: RealFFT
    private let bandCount: Int
    private let bandStart: UnsafeMutablePointer<Int32>   // bandCount + 1 bin edges
    private let window: UnsafeMutablePointer<Float>      // fftSize
    private let history: UnsafeMutablePointer<Float>     // fftSize, newest samples at the end
    private let frameBuffer: UnsafeMutablePointer<Float> // fftSize
    private let spectrumRe: UnsafeMutablePointer<Float>  // half + 1
    private let spectrumIm: UnsafeMutablePointer<Float>  // half + 1
    private let autocorrelation: UnsafeMutablePointer<Float> // fftSize
    private let bandPower: UnsafeMutablePointer<Float>
    private let smoothedPower: UnsafeMutablePointer<Float>
    private let noise: UnsafeMutablePointer<Float>
    private let binNoise: UnsafeMutablePointer<Float>    // half + 1, per-bin noise for whitening
    private let binPower: UnsafeMutablePointer<Float>    // half + 1, this frame's bin powers
    private let subwindowMinimum: UnsafeMutablePointer<Float> // bandCount * subwindows
    private let currentMinimum: UnsafeMutablePointer<Float>

    private let subwindows = 4
    private let subwindowFrames: Int
    private var subwindowCounter = 0
    private var subwindowIndex = 0
    private var framesSeen = 0
    private var speaking = false
    private var peakLevel: Float = -120
    private var periodicityBaseline: Float = 0.3
    private let alphaBaseline: Float
    private let peakDecayPerFrame: Float

    private let alphaSmooth: Float
    private let alphaNoise: Float
    private let minimumBias: Float = 1.5
    private let powerFloor: Float
    private let powerToMeanSquare: Float
    private let minimumLag: Int
    private let maximumLag: Int
    private let thresholdOn: Float
    private let thresholdOff: Float
    private let minimumLevel: Float
    private let noiseOnlyLagZero: Float
    private let binFloor: Float

    /// Creates a classifier; allocates all scratch memory it will ever use.
    public init(configuration: FrameClassifierConfiguration = .init()) {
        self.configuration = configuration
        let rate = configuration.sampleRate.hertz
        samplesPerFrame = configuration.samplesPerFrame
        // 32 ms analysis window: 256 points at 8 kHz, 512 at 16 kHz.
        fftSize = rate == 8000 ? 256 : 512
        fft = RealFFT(size: fftSize)
        let half = fftSize / 2
        let binHz = Double(rate) / Double(fftSize)
        // bands about 125 Hz wide; the band edges are clamped so every band lies below Nyquist
        let binsPerBand = max(1, Int((125.0 / binHz).rounded()))
        let lowBin = min(max(1, Int((configuration.bandLowHertz / binHz).rounded())), half - binsPerBand)
        let highBin = max(min(half - 1, Int((configuration.bandHighHertz / binHz).rounded())), lowBin + binsPerBand - 1)
        let count = max(1, (highBin - lowBin + 1) / binsPerBand)
        bandCount = count
        bandStart = .allocate(capacity: count + 1)
        for b in 0...count {
            (bandStart + b).initialize(to: Int32(lowBin + b * binsPerBand))
        }
        window = .allocate(capacity: fftSize)
        var windowEnergy: Double = 0
        for n in 0..<fftSize {
            let w = 0.5 - 0.5 * cos(2.0 * Double.pi * Double(n) / Double(fftSize))
            (window + n).initialize(to: Float(w))
            windowEnergy += w * w
        }
        history = .allocate(capacity: fftSize)
        history.initialize(repeating: 0, count: fftSize)
        frameBuffer = .allocate(capacity: fftSize)
        frameBuffer.initialize(repeating: 0, count: fftSize)
        spectrumRe = .allocate(capacity: half + 1)
        spectrumRe.initialize(repeating: 0, count: half + 1)
        spectrumIm = .allocate(capacity: half + 1)
        spectrumIm.initialize(repeating: 0, count: half + 1)
        autocorrelation = .allocate(capacity: fftSize)
        autocorrelation.initialize(repeating: 0, count: fftSize)
        bandPower = .allocate(capacity: count)
        bandPower.initialize(repeating: 0, count: count)
        smoothedPower = .allocate(capacity: count)
        smoothedPower.initialize(repeating: 0, count: count)
        noise = .allocate(capacity: count)
        noise.initialize(repeating: 0, count: count)
        binNoise = .allocate(capacity: half + 1)
        binNoise.initialize(repeating: 0, count: half + 1)
        binPower = .allocate(capacity: half + 1)
        binPower.initialize(repeating: 0, count: half + 1)
        subwindowMinimum = .allocate(capacity: count * 4)
        subwindowMinimum.initialize(repeating: 0, count: count * 4)
        currentMinimum = .allocate(capacity: count)
        currentMinimum.initialize(repeating: 0, count: count)

        let frameSeconds = Double(configuration.frameDuration.milliseconds) / 1000
        alphaSmooth = Float(exp(-frameSeconds / 0.04))
        alphaBaseline = Float(exp(-frameSeconds / 3.0))
        peakDecayPerFrame = Float(frameSeconds * 1.0) // 1 dB per second
        alphaNoise = Float(exp(-frameSeconds / 0.15))
        subwindowFrames = max(1, Int((0.3 / frameSeconds).rounded()))
        // in-band mean square (full scale 1.0) = powerToMeanSquare * sum of one-sided |X|^2
        powerToMeanSquare = Float(2.0 / (Double(fftSize) * windowEnergy))
        // -100 dBFS spread over all bands
        powerFloor = Float(1e-10 / (2.0 / (Double(fftSize) * windowEnergy)) / Double(count))
        minimumLag = rate / 400
        maximumLag = min(rate / 75, Int(Double(fftSize) * 0.4))
        let sensitivityShift = Float(configuration.sensitivity - 0.5)
        thresholdOn = ScoreModel.threshold - sensitivityShift * ScoreModel.sensitivitySpan
        thresholdOff = thresholdOn - ScoreModel.hysteresis
        minimumLevel = Float(configuration.minimumSpeechLevelDBFS)
        noiseOnlyLagZero = Float(2.0 / Double(fftSize) * exp(-1.0) * Double(count * binsPerBand))
        binFloor = powerFloor / Float(binsPerBand)
    }

    deinit {
        bandStart.deallocate()
        window.deallocate()
        history.deallocate()
        frameBuffer.deallocate()
        spectrumRe.deallocate()
        spectrumIm.deallocate()
        autocorrelation.deallocate()
        bandPower.deallocate()
        smoothedPower.deallocate()
        noise.deallocate()
        binNoise.deallocate()
        binPower.deallocate()
        subwindowMinimum.deallocate()
        currentMinimum.deallocate()
    }

    /// Forgets the noise estimate and the history (for example when a new call reuses the instance).
    public func reset() {
        history.update(repeating: 0, count: fftSize)
        framesSeen = 0
        subwindowCounter = 0
        subwindowIndex = 0
        speaking = false
        peakLevel = -120
        periodicityBaseline = 0.3
    }

    /// Classifies one frame of `samplesPerFrame` PCM16 samples. Does not allocate.
    /// - Throws: ``AudioError/invalidFrameLength(_:)`` when the frame has the wrong length.
    public func classify(_ frame: UnsafeBufferPointer<Int16>) throws(AudioError) -> FrameAnalysis {
        guard frame.count == samplesPerFrame, let samples = frame.baseAddress else {
            throw .invalidFrameLength(frame.count)
        }
        return analyse(samples)
    }

    /// Classifies one frame held in an array (convenience; does not allocate).
    /// - Throws: ``AudioError/invalidFrameLength(_:)`` when the frame has the wrong length.
    public func classify(_ frame: [Int16]) throws(AudioError) -> FrameAnalysis {
        let result: Result<FrameAnalysis, AudioError> = frame.withUnsafeBufferPointer { buffer in
            do throws(AudioError) { return .success(try classify(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    // MARK: - analysis

    private func analyse(_ samples: UnsafePointer<Int16>) -> FrameAnalysis {
        let hop = samplesPerFrame
        let n = fftSize
        let keep = n - hop
        // slide history and append the new frame (scaled to +-1)
        history.update(from: history + hop, count: keep)
        var sumSquares: Float = 0
        var sum: Float = 0
        var clipped = 0
        let scale: Float = 1.0 / 32768.0
        for i in 0..<hop {
            let s = samples[i]
            let v = Float(s) * scale
            history[keep + i] = v
            sumSquares += v * v
            sum += v
            if s >= 32000 || s <= -32000 { clipped += 1 }
        }
        // frame level without its DC offset
        let frameMean = sum / Float(hop)
        let meanSquare = max(sumSquares / Float(hop) - frameMean * frameMean, 0)
        let levelDB = 10 * log10f(meanSquare + 1e-12)
        // remove the window's mean (DC), apply Hann
        var mean: Float = 0
        for i in 0..<n { mean += history[i] }
        mean /= Float(n)
        for i in 0..<n { frameBuffer[i] = (history[i] - mean) * window[i] }
        fft.forward(frameBuffer, real: spectrumRe, imaginary: spectrumIm)

        // bin powers and band powers
        let lowBin = Int(bandStart[0])
        let highBin = Int(bandStart[bandCount])
        let half = n / 2
        for k in 0...half {
            let re = spectrumRe[k]
            let im = spectrumIm[k]
            binPower[k] = re * re + im * im
        }
        var totalPower: Float = 0
        for b in 0..<bandCount {
            var p: Float = 0
            for k in Int(bandStart[b])..<Int(bandStart[b + 1]) { p += binPower[k] }
            p += powerFloor
            bandPower[b] = p
            totalPower += p
        }

        framesSeen += 1
        if framesSeen == 1 {
            for b in 0..<bandCount {
                let p = bandPower[b]
                smoothedPower[b] = p
                noise[b] = p
                currentMinimum[b] = p
                for u in 0..<subwindows { subwindowMinimum[b * subwindows + u] = p }
            }
            for k in 0...half { binNoise[k] = binPower[k] + binFloor }
        }

        // features against the noise estimate from before this frame
        var totalNoise: Float = 0
        var lrtSum: Float = 0
        var active = 0
        for b in 0..<bandCount {
            let nb = noise[b]
            totalNoise += nb
            let gamma = bandPower[b] / nb
            if gamma > 1 { lrtSum += gamma - 1 - logf(gamma) }
            if gamma > 4 { active += 1 }
        }
        let likelihood = lrtSum / Float(bandCount)
        // loudest recent in-band level (decays 1 dB/s): frames far below it are unlikely to be
        // the caller (background talkers, TV), whose speech set the peak
        let inBandDB = 10 * log10f(totalPower * powerToMeanSquare + 1e-12)
        peakLevel = max(inBandDB, peakLevel - peakDecayPerFrame)
        let belowPeak = min(peakLevel - inBandDB, 40)
        let snr = 10 * log10f(totalPower / totalNoise)
        let activeShare = Float(active) / Float(bandCount)

        // periodicity of the per-bin excess over the noise, (P_k / N_k - 1)+: stationary noise
        // and hum vanish (bins at or below their noise estimate give zero), harmonics stand out
        for k in 0...half {
            if k < lowBin || k >= highBin {
                spectrumRe[k] = 0
            } else {
                spectrumRe[k] = max(binPower[k] / (binNoise[k] + binFloor) - 1, 0)
            }
        }
        var periodicity: Float = 0
        for k in 0...half { spectrumIm[k] = 0 }
        fft.inverse(real: spectrumRe, imaginary: spectrumIm, into: autocorrelation)
        let r0 = autocorrelation[0]
        if r0 > 0 {
            // add the lag-0 value that noise alone would give (E[(g - 1)+] = 1/e per bin), so
            // sparse random excess in noise-only frames cannot look periodic
            let inv = 1 / (r0 + noiseOnlyLagZero)
            for lag in minimumLag...maximumLag {
                let rho = autocorrelation[lag] * inv
                if rho > periodicity { periodicity = rho }
            }
            periodicity = min(periodicity, 1)
        }

        updateNoise()

        // the periodicity that the background itself shows (about 0.2 for white noise, 0.4 for
        // babble), learned from frames near the noise floor over about 3 s
        let baseline = periodicityBaseline
        if snr < 6 {
            periodicityBaseline = alphaBaseline * periodicityBaseline + (1 - alphaBaseline) * periodicity
        }

        var score = ScoreModel.score(
            likelihood: likelihood, snrDB: snr, activeShare: activeShare,
            periodicity: periodicity, periodicityBaseline: baseline, belowPeakDB: belowPeak)
        if levelDB < minimumLevel { score = min(score, thresholdOff - 1) }
        if speaking {
            speaking = score > thresholdOff
        } else {
            speaking = score > thresholdOn
        }
        return FrameAnalysis(
            isSpeech: speaking,
            score: score,
            levelDBFS: levelDB,
            noiseFloorDBFS: 10 * log10f(totalNoise * powerToMeanSquare + 1e-12),
            snrDB: snr,
            likelihoodRatio: likelihood,
            periodicity: periodicity,
            activeBandShare: activeShare,
            periodicityBaseline: baseline,
            belowPeakDB: belowPeak,
            clippedShare: Float(clipped) / Float(hop))
    }

    /// Per-band noise power: a recursive average (time constant 150 ms) over the frames within
    /// about 5 dB of the current estimate (never speech onsets, but the body of babble-like
    /// noise), bounded below by 1.5 x the running minimum of the smoothed power over 1.2-1.5 s,
    /// so it falls at once and follows louder noise within about 1.5 s.
    private func updateNoise() {
        let aS = alphaSmooth
        let aN = alphaNoise
        for b in 0..<bandCount {
            let raw = bandPower[b]
            let s = aS * smoothedPower[b] + (1 - aS) * raw
            smoothedPower[b] = s
            var m = min(currentMinimum[b], s)
            currentMinimum[b] = m
            let base = b * subwindows
            for u in 0..<subwindows { m = min(m, subwindowMinimum[base + u]) }
            var n = noise[b]
            if raw < 3 * n {
                n = aN * n + (1 - aN) * raw
                for k in Int(bandStart[b])..<Int(bandStart[b + 1]) {
                    binNoise[k] = aN * binNoise[k] + (1 - aN) * binPower[k]
                }
            }
            let floor = m * minimumBias
            if n < floor {
                // the band floor rose (louder noise): lift the bins with it
                let lift = floor / n
                for k in Int(bandStart[b])..<Int(bandStart[b + 1]) { binNoise[k] *= lift }
                n = floor
            }
            noise[b] = n
        }
        subwindowCounter += 1
        if subwindowCounter >= subwindowFrames {
            subwindowCounter = 0
            for b in 0..<bandCount {
                subwindowMinimum[b * subwindows + subwindowIndex] = currentMinimum[b]
                currentMinimum[b] = smoothedPower[b]
            }
            subwindowIndex = (subwindowIndex + 1) % subwindows
        }
    }
}
