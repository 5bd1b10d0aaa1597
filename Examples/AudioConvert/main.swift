// audio-convert: converts a WAV file to 8 kHz mu-law (what a phone line carries) and back,
// printing levels at each step. Shows CallAudio's public API end to end.
//
//   swift run audio-convert input.wav [output-directory]
import CallAudio
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("audio-convert: \(message)\n".utf8))
    exit(1)
}

func levels(_ samples: [Int16]) -> String {
    String(format: "rms %6.1f dBFS  peak %6.1f dBFS", PCM16.rmsDBFS(samples), PCM16.peakDBFS(samples))
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { fail("usage: audio-convert input.wav [output-directory]") }
let outputDirectory = arguments.count >= 3 ? arguments[2] : "."

do {
    let input = try WAVFile(parsing: [UInt8](try Data(contentsOf: URL(fileURLWithPath: arguments[1]))))
    print("input     \(input.format), \(String(format: "%.2f", input.duration)) s")
    // Down-mixed to mono: phone lines are mono.
    let samples = input.monoPCM16Samples()
    print("          \(levels(samples))")

    // To the phone line: resample to 8 kHz (low-latency telephony filter), then mu-law.
    let rate = Double(input.format.sampleRate)
    let narrowband = rate == 8000 ? samples : try StreamingResampler<Int16>.resample(samples, from: rate, to: 8000)
    let muLaw = MuLaw.encode(narrowband)
    let phonePath = outputDirectory + "/phone-mulaw-8k.wav"
    try Data(WAVFile(format: .telephony, data: muLaw).serialized()).write(to: URL(fileURLWithPath: phonePath))
    print("mu-law    8000 Hz, \(muLaw.count) bytes = \(muLaw.count / 160) Twilio frames of 20 ms -> \(phonePath)")

    // And back: decode and resample to the original rate.
    let decoded = MuLaw.decode(muLaw)
    print("decoded   \(levels(decoded))")
    let restored = rate == 8000 ? decoded : try StreamingResampler<Int16>.resample(decoded, from: 8000, to: rate)
    let restoredPath = outputDirectory + "/restored-pcm16.wav"
    try Data(WAVFile.serialize(pcm16: restored, sampleRate: input.format.sampleRate)).write(to: URL(fileURLWithPath: restoredPath))
    print("restored  \(input.format.sampleRate) Hz \(levels(restored)) -> \(restoredPath)")
    let loss = PCM16.rmsDBFS(samples) - PCM16.rmsDBFS(restored)
    print(String(format: "level change through the phone path: %.2f dB (telephone band is 300-3400 Hz)", loss))
} catch let error as AudioError {
    fail("\(error)")
} catch {
    fail("\(error)")
}
