// vad-eval: runs VoiceActivityDetector over a labelled VAD set (see shared/vad-dev) and
// writes system-output JSON files for score_vad.py.
//
//   vad-eval --set <vadset dir> [--input ulaw|wav] [--sensitivity 0.5] [--frame-ms 20]
//            [--out <prefix>] [--features <csv>]
//
// Writes <prefix>-segments.json   accepted utterances [speech start, speech end] (what STT gets)
//        <prefix>-bargein.json    accepted utterances [detected at, speech end] (real-time onset)
//        <prefix>-frames.json     raw frame classifier decisions (no segmenter, no filter)
// and prints a summary of the filter counters and the CPU time per frame.
import CallAudio
import Foundation
import VoiceActivity

struct Options {
    var set = "vadset"
    var input = "ulaw"
    var sensitivity = 0.5
    var frameMs = 20
    var out = "vad"
    var features: String?
    var voicedPeriodicity: Float = 0.4
    var minimumVoicedFrames = 1
    var stopHangoverMs = 500
    var startHangoverMs = 60
    var minimumSpeechMs = 125
    var minimumSNR: Float = 1.5
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst()
    while let a = args.popFirst() {
        let value = args.popFirst() ?? ""
        switch a {
        case "--set": o.set = value
        case "--input": o.input = value
        case "--sensitivity": o.sensitivity = Double(value) ?? o.sensitivity
        case "--frame-ms": o.frameMs = Int(value) ?? o.frameMs
        case "--out": o.out = value
        case "--features": o.features = value
        case "--voiced-periodicity": o.voicedPeriodicity = Float(value) ?? o.voicedPeriodicity
        case "--min-voiced-frames": o.minimumVoicedFrames = Int(value) ?? o.minimumVoicedFrames
        case "--stop-ms": o.stopHangoverMs = Int(value) ?? o.stopHangoverMs
        case "--start-ms": o.startHangoverMs = Int(value) ?? o.startHangoverMs
        case "--min-speech-ms": o.minimumSpeechMs = Int(value) ?? o.minimumSpeechMs
        case "--min-snr": o.minimumSNR = Float(value) ?? o.minimumSNR
        default:
            FileHandle.standardError.write(Data("unknown option \(a)\n".utf8))
            exit(2)
        }
    }
    return o
}

enum EvalError: Error { case badManifest, badWAV(String) }

/// Reads a WAV file with CallAudio's reader; the set holds 8 kHz mono PCM16.
func readWAVSamples(_ path: String) throws -> [Int16] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let file = try WAVFile(parsing: bytes)
    guard file.format.sampleRate == 8000, file.format.channels == 1 else { throw EvalError.badWAV(path) }
    return file.pcm16Samples()
}

func json(_ object: Any, to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    try data.write(to: URL(fileURLWithPath: path))
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

let options = parseOptions()
let manifestURL = URL(fileURLWithPath: options.set).appendingPathComponent("manifest.json")
guard let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as? [String: Any],
      let files = manifest["files"] as? [[String: Any]]
else { throw EvalError.badManifest }

let frameDuration: VADFrameDuration = options.frameMs == 10 ? .ms10 : .ms20
var config = VoiceActivityConfiguration()
config.classifier = FrameClassifierConfiguration(sampleRate: .hz8000, frameDuration: frameDuration, sensitivity: options.sensitivity)
config.segmenter.voicedPeriodicity = options.voicedPeriodicity
config.segmenter.stopHangover = .milliseconds(options.stopHangoverMs)
config.filter.minimumVoicedFrames = options.minimumVoicedFrames
config.segmenter.startHangover = .milliseconds(options.startHangoverMs)
config.filter.minimumSpeech = .milliseconds(options.minimumSpeechMs)
config.filter.minimumMeanSNRDB = options.minimumSNR

var segmentsOut: [String: Any] = [:]
var bargeInOut: [String: Any] = [:]
var framesOut: [String: Any] = [:]
var featureLines: [String] = []
var totals = ShortAudioFilterCounters()
var cpuSeconds = 0.0
var frameCount = 0
var startedEvents = 0

for file in files {
    guard let id = file["id"] as? String, let wav = file["wav"] as? String, let ul = file["ulaw"] as? String else {
        throw EvalError.badManifest
    }
    let samples: [Int16]
    if options.input == "wav" {
        samples = try readWAVSamples(URL(fileURLWithPath: options.set).appendingPathComponent(wav).path)
    } else {
        let codes = try Data(contentsOf: URL(fileURLWithPath: options.set).appendingPathComponent(ul))
        samples = MuLaw.decode(codes)
    }
    let detector = VoiceActivityDetector(configuration: config)
    let n = detector.samplesPerFrame
    var segments: [[Double]] = []
    var bargeIn: [[Double]] = []
    var decisions = ""
    decisions.reserveCapacity(samples.count / n)
    var pendingDetectedAt: Duration?
    func handle(_ event: VoiceActivityEvent?) {
        switch event {
        case .speechStarted(_, let detectedAt)?:
            pendingDetectedAt = detectedAt
            startedEvents += 1
        case .utterance(let u)?:
            segments.append([seconds(u.speechStart), seconds(u.speechEnd)])
            let detected = pendingDetectedAt ?? u.speechStart
            if detected < u.speechEnd { bargeIn.append([seconds(detected), seconds(u.speechEnd)]) }
            pendingDetectedAt = nil
        case .utteranceDropped?:
            pendingDetectedAt = nil
        case nil:
            break
        }
    }
    let clockStart = clock_gettime_nsec_np_like()
    try samples.withUnsafeBufferPointer { all throws in
        var start = 0
        var index = 0
        while start + n <= all.count {
            let frame = UnsafeBufferPointer(rebasing: all[start..<start + n])
            let event = try detector.process(frame)
            let a = detector.lastAnalysis
            decisions.append(a.isSpeech ? "1" : "0")
            if options.features != nil {
                featureLines.append("\(id),\(index),\(a.isSpeech ? 1 : 0),\(a.score),\(a.levelDBFS),\(a.noiseFloorDBFS),\(a.snrDB),\(a.likelihoodRatio),\(a.periodicity),\(a.activeBandShare),\(a.clippedShare),\(a.belowPeakDB),\(a.periodicityBaseline)")
            }
            handle(event)
            start += n
            index += 1
        }
        handle(detector.finish())
    }
    cpuSeconds += Double(clock_gettime_nsec_np_like() - clockStart) * 1e-9
    frameCount += samples.count / n
    let c = detector.filterCounters
    totals.accepted += c.accepted
    totals.droppedTooShort += c.droppedTooShort
    totals.droppedUnvoiced += c.droppedUnvoiced
    totals.droppedNearNoiseFloor += c.droppedNearNoiseFloor
    totals.droppedAudio += c.droppedAudio
    segmentsOut[id] = segments
    bargeInOut[id] = bargeIn
    framesOut[id] = ["frame_ms": options.frameMs, "decisions": decisions]
}

let name = "swift-vad-s\(options.sensitivity)-\(options.input)-\(options.frameMs)ms"
try json(["system": name + "-segments", "files": segmentsOut], to: options.out + "-segments.json")
try json(["system": name + "-bargein", "files": bargeInOut], to: options.out + "-bargein.json")
try json(["system": name + "-frames", "files": framesOut], to: options.out + "-frames.json")
if let path = options.features {
    try ("file,frame,speech,score,level,noise,snr,lrt,periodicity,active,clipped,belowpeak,pbase\n" + featureLines.joined(separator: "\n") + "\n")
        .write(toFile: path, atomically: true, encoding: .utf8)
}
print("files \(files.count), frames \(frameCount), speechStarted \(startedEvents)")
print("filter: accepted \(totals.accepted), dropped tooShort \(totals.droppedTooShort), unvoiced \(totals.droppedUnvoiced), nearNoiseFloor \(totals.droppedNearNoiseFloor), dropped audio \(seconds(totals.droppedAudio)) s")
print(String(format: "CPU (thread time incl. decode) per frame: %.2f us", cpuSeconds / Double(max(frameCount, 1)) * 1e6))

/// Thread CPU time in nanoseconds.
func clock_gettime_nsec_np_like() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
