import CallEngine
import CallResults
import CallTesting
import CallWorker
import Foundation
import SpeechServices
import Testing

/// Readiness while the result spool cannot be written, and the order of a call's end.
@Suite(.timeLimit(.minutes(2)))
struct ResultReadinessTests {
    static func server(sink: any ResultSink) -> CallWorkerServer {
        CallWorkerServer(
            configuration: WorkerConfiguration(host: "127.0.0.1", port: 0),
            catalog: BotCatalog(bots: ["demo": WorkerHarness.botConfiguration()]),
            providers: CallProviders(speechToText: ScriptedSpeechToText(), languageModel: ScriptedLanguageModel(), textToSpeech: ScriptedTextToSpeech()),
            resultSink: sink
        )
    }

    @Test func readinessIs503WithTheReasonWhileTheSpoolCannotBeWritten() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ready-spool-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = try await ResultOutbox.open(directory: directory)
        let server = Self.server(sink: outbox)
        #expect(server.unreadinessReason() == nil)

        // The storage goes away under the worker.
        try FileManager.default.removeItem(atPath: directory)
        let result = CallResult(
            identity: CallIdentity(callID: "CA-ready", streamID: "MZ1", botID: "demo"), startedAt: Date(), endedAt: Date(),
            endReason: .callerHungUp, transcript: [], lead: [:], turns: [], usage: CallUsage(), estimatedCost: 0,
            errors: [], providers: [:], phases: []
        )
        await #expect(throws: ResultOutboxError.self) { try await outbox.deliver(result) }
        let reason = try #require(server.unreadinessReason())
        #expect(reason.hasPrefix("result spool unwritable: "))
        #expect(reason.contains("No such file or directory"))

        // Back: the next probe (the worker's maintenance loop runs it) clears the reason.
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(await outbox.probe())
        #expect(server.unreadinessReason() == nil)
    }
}
