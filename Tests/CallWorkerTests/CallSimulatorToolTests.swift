import CallAudio
import CallEngine
import CallTesting
import Foundation
import Testing

/// The `call-simulator` executable against an in-process worker: WAV turns (a 16 kHz stereo
/// PCM16 turn, down-mixed and resampled), stream parameters, DTMF, the agent WAV and the latency report.
@Suite(.timeLimit(.minutes(2)))
struct CallSimulatorToolTests {
    @Test func simulatorPlaysWAVTurnsRecordsTheAgentAndReportsLatency() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("call-simulator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // One caller turn as a 16 kHz stereo PCM16 WAV: the simulator down-mixes and resamples it.
        let narrowband = MuLaw.decode(SyntheticCallerAudio.speech(seconds: 1.2, seed: 5).flatMap { $0 })
        let wideband = try StreamingResampler<Int16>.resample(narrowband, from: 8000, to: 16000)
        let stereo = wideband.flatMap { [$0, $0 / 2] }
        let turn = directory.appendingPathComponent("turn.wav")
        try Data(WAVFile.serialize(pcm16: stereo, sampleRate: 16000, channels: 2)).write(to: turn)
        let agentWAV = directory.appendingPathComponent("agent.wav")

        let harness = WorkerHarness()
        harness.stt.enqueue(ScriptedSpeechToText.transcript("First question."))
        harness.llm.enqueue(ScriptedLanguageModel.reply("First answer."))
        let (status, output, results) = try await harness.run { port in
            let simulator = try ChildProcess("call-simulator", arguments: [
                "--call-sid", TestSID.call(5151), "--param", "campaign=spring", "--dtmf", "7", "--wait", "15", "--quiet-ms", "500",
                "--out", agentWAV.path, "ws://127.0.0.1:\(port)/ws/demo", turn.path,
            ])
            let status = await simulator.exitStatus()
            return (status, simulator.output, await harness.sink.waitForResults(1))
        }
        #expect(status == 0, "\(output.joined(separator: "\n"))")
        let latencyLines = output.filter { $0.contains("latency") && $0.hasPrefix("agent:") }
        #expect(latencyLines.count == 1)
        #expect(latencyLines.allSatisfy { $0.contains("reply played") && $0.contains(" ms ") })

        let result = try #require(results.first)
        #expect(result.identity.callID == TestSID.call(5151))
        #expect(result.identity.customParameters["campaign"] == "spring")
        let callerTexts = result.transcript.compactMap { entry -> String? in
            if case .caller(let turn) = entry { return turn.text }
            return nil
        }
        #expect(callerTexts.first == "First question.")
        // The worker heard the turn as one utterance of about its length (1.2 s of speech).
        let utterances = harness.stt.requests.map(\.duration)
        #expect(utterances.count == 1)
        #expect(utterances.allSatisfy { (1.0...1.9).contains($0) }, "utterance durations \(utterances)")
        #expect(result.transcript.contains { if case .dtmf(let digits, _) = $0 { digits == "7" } else { false } })

        // The agent's side was recorded on the call's timeline: greeting and the reply.
        let recorded = try WAVFile(parsing: [UInt8](Data(contentsOf: agentWAV)))
        #expect(recorded.format == .telephony)
        #expect(recorded.duration > 2)
    }
}
