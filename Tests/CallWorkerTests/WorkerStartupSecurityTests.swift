import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `call-worker` binary fails closed: without `TWILIO_AUTH_TOKEN` (unless
/// `TWILIO_SIGNATURES=off`) or, with one, without `PUBLIC_HOST`, it refuses to start.
@Suite(.timeLimit(.minutes(2)))
struct WorkerStartupSecurityTests {
    static let base = [
        "HOST": "127.0.0.1", "PORT": "0", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "LOG_LEVEL": "warning",
        "SPOOL_DIR": FileManager.default.temporaryDirectory.appendingPathComponent("call-worker-startup-\(UUID().uuidString)").path,
    ]

    static func refusal(_ environment: [String: String]) async throws -> (status: Int32?, error: String) {
        let worker = try ChildProcess(environment: base.merging(environment) { $1 })
        let status = await worker.exitStatus()
        let line = worker.output.first { ChildProcess.field("msg", in: $0) == "startup failed" }
        return (status, line.flatMap { ChildProcess.field("error", in: $0) } ?? "")
    }

    @Test func startupWithoutTokenOrPublicHostExitsNonZero() async throws {
        let noToken = try await Self.refusal([:])
        #expect(noToken.status == 2)
        #expect(noToken.error.contains("TWILIO_AUTH_TOKEN") && noToken.error.contains("TWILIO_SIGNATURES=off"), "\(noToken.error)")

        let noHost = try await Self.refusal(["TWILIO_AUTH_TOKEN": "secret-token"])
        #expect(noHost.status == 2)
        #expect(noHost.error.contains("PUBLIC_HOST"), "\(noHost.error)")
        #expect(!noHost.error.contains("secret-token"))

        let typo = try await Self.refusal(["TWILIO_SIGNATURES": "disabled"])
        #expect(typo.status == 2)
        #expect(typo.error.contains("TWILIO_SIGNATURES"), "\(typo.error)")
    }

    @Test func startsWithATokenAndPublicHostOrWithSignaturesOff() async throws {
        for environment in [
            ["TWILIO_AUTH_TOKEN": "secret-token", "PUBLIC_HOST": "worker.example.com"],
            ["TWILIO_SIGNATURES": "off"],
        ] {
            let worker = try ChildProcess(environment: Self.base.merging(environment) { $1 }.merging(["LOG_LEVEL": "info"]) { $1 })
            let found = await worker.waitFor(["call-worker starting", "listening"])
            let starting = try #require(found["call-worker starting"], "\(worker.output)")
            #expect(found["listening"] != nil)
            let enforced = environment["TWILIO_SIGNATURES"] == nil
            #expect(ChildProcess.field("twilio_signatures", in: starting) == (enforced ? "enforced" : "off (TWILIO_SIGNATURES=off)"))
            #expect(ChildProcess.field("stream_token", in: starting) == (enforced ? "derived from auth token" : "off"))
            #expect(!starting.contains("secret-token"))
            worker.signal(SIGTERM)
            #expect(await worker.exitStatus() == 0)
            #expect(worker.logged("TWILIO_SIGNATURES=off: Twilio signatures and stream tokens are NOT checked (development only)") == !enforced)
        }
    }
}
