import CallAudio

/// Cuts a stream of classified frames into utterances.
///
/// An explicit state machine (see ``SegmenterState``): speech must last the start hangover
/// and contain a voiced frame before an utterance starts
/// (``SegmenterEvent/speechStarted(onset:detectedAt:)``), and silence must last the stop
/// hangover before it ends (``SegmenterEvent/speechEnded(_:)``). A ring buffer keeps the pre-roll so the
/// utterance's audio begins before the detected onset. Utterances are cut at the maximum
/// length. Memory is bounded: the ring and the utterance buffer are allocated once in
/// `init`; only emitting an utterance allocates (its `samples` array). The utterance buffer
/// (the maximum length: 30 s is 480 KB at 8 kHz) is not zero-filled: only frames it has been
/// given are ever read, so its pages become resident as far as the longest utterance reached,
/// not all at once for every call.
///
/// One instance per call; not `Sendable` (use it from the task that owns the call).
public final class UtteranceSegmenter {
    /// The configuration this segmenter was created with.
    public let configuration: UtteranceSegmenterConfiguration
    /// Samples in every frame.
    public let samplesPerFrame: Int
    /// Frame length in milliseconds.
    public let frameMilliseconds: Int
    /// Sample rate in hertz.
    public let sampleRate: Int

    /// Consecutive speech frames needed to start an utterance.
    public let startFrames: Int
    /// Consecutive non-speech frames that end an utterance.
    public let stopFrames: Int
    /// Frames of audio kept before the onset.
    public let preRollFrames: Int
    /// Frames of audio kept after the last speech frame.
    public let postRollFrames: Int
    /// Maximum utterance length in frames (pre-roll included).
    public let maximumFrames: Int

    /// Current state.
    public private(set) var state: SegmenterState = .silence
    /// Frames processed so far (stream time = `framesProcessed` x frame length).
    public private(set) var framesProcessed = 0

    // ring of the most recent frames before an utterance (pre-roll + pending onset run + unvoiced-onset allowance)
    private let ring: UnsafeMutablePointer<Int16>
    private let ringFrames: Int
    private var ringHead = 0      // next frame slot to write
    private var ringCount = 0     // valid frames in the ring
    // the utterance in progress
    private let buffer: UnsafeMutablePointer<Int16>
    private let bufferFrames: Int
    private var bufferCount = 0   // frames in buffer
    private var audioStartFrame = 0
    private var onsetFrame = 0
    private var lastSpeechFrame = 0
    // statistics of the utterance in progress / of the pending onset run
    private var speechFrames = 0
    private var voicedFrames = 0
    private var snrSum: Float = 0
    private var peakLevel: Float = -200
    private var noiseFloor: Float = -120
    // the current run of consecutive speech frames (not yet part of the statistics)
    private var runFrames = 0
    private var runVoiced = 0
    private var runSNRSum: Float = 0
    private var runPeakLevel: Float = -200

    /// Creates a segmenter for frames of `frameDuration` at `sampleRate`.
    public init(
        configuration: UtteranceSegmenterConfiguration = .init(),
        sampleRate: VADSampleRate = .hz8000,
        frameDuration: VADFrameDuration = .ms20
    ) {
        self.configuration = configuration
        self.sampleRate = sampleRate.hertz
        frameMilliseconds = frameDuration.milliseconds
        samplesPerFrame = sampleRate.hertz * frameMilliseconds / 1000
        startFrames = configuration.startHangover.frames(of: frameMilliseconds, minimum: 1)
        stopFrames = configuration.stopHangover.frames(of: frameMilliseconds, minimum: 1)
        preRollFrames = configuration.preRoll.frames(of: frameMilliseconds, minimum: 0)
        postRollFrames = min(configuration.postRoll.frames(of: frameMilliseconds, minimum: 0), stopFrames)
        let maxFrames = configuration.maximumUtterance.frames(of: frameMilliseconds, minimum: 1)
        // pre-roll + the onset run, plus up to 300 ms of unvoiced onset (an onset waits for a voiced frame)
        ringFrames = max(preRollFrames + startFrames - 1 + Duration.milliseconds(300).frames(of: frameMilliseconds, minimum: 0), 1)
        maximumFrames = max(maxFrames, ringFrames + 1)
        bufferFrames = maximumFrames
        ring = .allocate(capacity: ringFrames * samplesPerFrame)
        ring.initialize(repeating: 0, count: ringFrames * samplesPerFrame)
        // Left uninitialised (Int16 is trivial): frames are written before they are read.
        buffer = .allocate(capacity: bufferFrames * samplesPerFrame)
    }

    deinit {
        ring.deallocate()
        buffer.deallocate()
    }

    /// Stream time at the start of frame `index`.
    @inline(__always)
    func time(ofFrame index: Int) -> Duration {
        .milliseconds(Int64(index) * Int64(frameMilliseconds))
    }

    /// Feeds one frame and its classification. Returns at most one event.
    ///
    /// Allocates only when it returns ``SegmenterEvent/speechEnded(_:)`` (the utterance's samples).
    /// - Throws: ``AudioError/invalidFrameLength(_:)`` when the frame has the wrong length.
    public func process(
        _ frame: UnsafeBufferPointer<Int16>, analysis: FrameAnalysis
    ) throws(AudioError) -> SegmenterEvent? {
        guard frame.count == samplesPerFrame, let samples = frame.baseAddress else {
            throw .invalidFrameLength(frame.count)
        }
        let index = framesProcessed
        framesProcessed += 1
        noiseFloor = analysis.noiseFloorDBFS
        let voiced = analysis.isSpeech && analysis.periodicity >= configuration.voicedPeriodicity
        switch state {
        case .silence:
            if analysis.isSpeech {
                resetStatistics()
                resetRun()
                onsetFrame = index
                addToRun(analysis, voiced: voiced)
                if startFrames == 1 && runVoiced > 0 { return start(at: index, samples: samples) }
                state = .pendingStart(speechFrames: 1)
            }
            pushRing(samples)
            return nil
        case .pendingStart(let run):
            guard analysis.isSpeech else {
                state = .silence
                pushRing(samples)
                return nil
            }
            addToRun(analysis, voiced: voiced)
            if run + 1 >= startFrames && runVoiced > 0 { return start(at: index, samples: samples) }
            state = .pendingStart(speechFrames: run + 1)
            pushRing(samples)
            return nil
        case .speaking(let silent):
            append(samples)
            if analysis.isSpeech {
                if silent == 0 {
                    // continuing confirmed speech
                    addToRun(analysis, voiced: voiced)
                    commitRun()
                    lastSpeechFrame = index
                } else {
                    // a new run inside the stop hangover must be confirmed like an onset
                    // (start hangover length, at least one voiced frame); until then it counts
                    // as silence, so clicks and coughs after speech do not extend the utterance
                    addToRun(analysis, voiced: voiced)
                    if runFrames >= startFrames && runVoiced > 0 {
                        commitRun()
                        lastSpeechFrame = index
                        state = .speaking(silentFrames: 0)
                    } else if silent + 1 >= stopFrames {
                        return end(at: index, reason: .silence)
                    } else {
                        state = .speaking(silentFrames: silent + 1)
                    }
                }
            } else {
                resetRun()
                if silent + 1 >= stopFrames { return end(at: index, reason: .silence) }
                state = .speaking(silentFrames: silent + 1)
            }
            if bufferCount >= maximumFrames {
                let utterance = makeUtterance(endFrame: index + 1, reason: .maximumLength)
                // continue at once with a new utterance starting at the next frame
                bufferCount = 0
                audioStartFrame = index + 1
                onsetFrame = index + 1
                lastSpeechFrame = index
                resetStatistics()
                return .speechEnded(utterance)
            }
            return nil
        }
    }

    /// Closes the utterance after frame `index`. A speech run still waiting for confirmation
    /// becomes the pending start of the next utterance, with the end of this one as its pre-roll.
    private func end(at index: Int, reason: UtteranceEndReason) -> SegmenterEvent {
        let utterance = makeUtterance(endFrame: index + 1, reason: reason)
        ringCount = 0
        ringHead = 0
        if runFrames > 0 {
            let keep = min(ringFrames, bufferCount)
            for f in (bufferCount - keep)..<bufferCount {
                pushRing(buffer + f * samplesPerFrame)
            }
            resetStatistics()
            onsetFrame = index + 1 - runFrames
            state = .pendingStart(speechFrames: runFrames)
        } else {
            state = .silence
        }
        return .speechEnded(utterance)
    }

    /// Frames of silence since the last confirmed speech frame of the utterance in progress
    /// (nil outside an utterance).
    public var silentFramesInUtterance: Int? {
        if case .speaking(let silent) = state { return silent }
        return nil
    }

    /// The utterance in progress as it would end now, without ending it: for speculative
    /// transcription while the stop hangover runs. Its `speechEnd` equals the final
    /// utterance's when the caller does not speak again. Allocates its samples.
    public func snapshot() -> Utterance? {
        guard case .speaking = state, speechFrames > 0 else { return nil }
        return makeUtterance(endFrame: framesProcessed, reason: .silence)
    }

    /// Ends the stream: returns the utterance in progress, if any, and goes back to silence.
    public func flush() -> SegmenterEvent? {
        defer {
            state = .silence
            ringCount = 0
            resetRun()
        }
        guard case .speaking = state, speechFrames > 0 else { return nil }
        return .speechEnded(makeUtterance(endFrame: framesProcessed, reason: .endOfStream))
    }

    // MARK: - internals

    private func resetStatistics() {
        speechFrames = 0
        voicedFrames = 0
        snrSum = 0
        peakLevel = -200
    }

    private func resetRun() {
        runFrames = 0
        runVoiced = 0
        runSNRSum = 0
        runPeakLevel = -200
    }

    private func addToRun(_ analysis: FrameAnalysis, voiced: Bool) {
        runFrames += 1
        if voiced { runVoiced += 1 }
        runSNRSum += analysis.snrDB
        if analysis.levelDBFS > runPeakLevel { runPeakLevel = analysis.levelDBFS }
    }

    /// Moves the current run's frames into the utterance statistics.
    private func commitRun() {
        speechFrames += runFrames
        voicedFrames += runVoiced
        snrSum += runSNRSum
        if runPeakLevel > peakLevel { peakLevel = runPeakLevel }
        resetRun()
    }

    private func pushRing(_ samples: UnsafePointer<Int16>) {
        (ring + ringHead * samplesPerFrame).update(from: samples, count: samplesPerFrame)
        ringHead = (ringHead + 1) % ringFrames
        ringCount = min(ringCount + 1, ringFrames)
    }

    private func start(at index: Int, samples: UnsafePointer<Int16>) -> SegmenterEvent {
        // copy the ring (oldest first), then the current frame
        let available = ringCount
        var slot = (ringHead - available + ringFrames) % ringFrames
        bufferCount = 0
        for _ in 0..<available {
            (buffer + bufferCount * samplesPerFrame).update(
                from: ring + slot * samplesPerFrame, count: samplesPerFrame)
            bufferCount += 1
            slot = (slot + 1) % ringFrames
        }
        audioStartFrame = index - available
        // keep at most the pre-roll before the onset
        let earliest = max(onsetFrame - preRollFrames, 0)
        if audioStartFrame < earliest {
            let drop = earliest - audioStartFrame
            (buffer).update(from: buffer + drop * samplesPerFrame, count: (bufferCount - drop) * samplesPerFrame)
            bufferCount -= drop
            audioStartFrame = earliest
        }
        append(samples)
        commitRun()
        lastSpeechFrame = index
        ringCount = 0
        state = .speaking(silentFrames: 0)
        return .speechStarted(onset: time(ofFrame: onsetFrame), detectedAt: time(ofFrame: index + 1))
    }

    private func append(_ samples: UnsafePointer<Int16>) {
        guard bufferCount < bufferFrames else { return }
        (buffer + bufferCount * samplesPerFrame).update(from: samples, count: samplesPerFrame)
        bufferCount += 1
    }

    private func makeUtterance(endFrame: Int, reason: UtteranceEndReason) -> Utterance {
        let lastAudioFrame = reason == .maximumLength ? endFrame : min(endFrame, lastSpeechFrame + 1 + postRollFrames)
        let frames = max(0, min(bufferCount, lastAudioFrame - audioStartFrame))
        let samples = Array(UnsafeBufferPointer(start: buffer, count: frames * samplesPerFrame))
        let speechEndFrame = reason == .maximumLength ? endFrame : lastSpeechFrame + 1
        let statistics = UtteranceStatistics(
            speechFrames: speechFrames,
            speechDuration: time(ofFrame: max(speechEndFrame - onsetFrame, 0)),
            voicedFrames: voicedFrames,
            meanSNRDB: speechFrames > 0 ? snrSum / Float(speechFrames) : 0,
            peakLevelDBFS: peakLevel,
            noiseFloorDBFS: noiseFloor)
        return Utterance(
            samples: samples,
            sampleRate: sampleRate,
            audioStart: time(ofFrame: audioStartFrame),
            speechStart: time(ofFrame: onsetFrame),
            speechEnd: time(ofFrame: speechEndFrame),
            endReason: reason,
            statistics: statistics)
    }
}
