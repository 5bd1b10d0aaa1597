// twilio-fake: CallTesting's TwilioFake (Twilio's Programmable Voice REST wire, calls that ring
// and answer as scripted per number, signed status and AMD callbacks, signed TwiML fetches and
// signed media-stream WebSockets with a scripted caller) as a standalone server, for
// process-level tests such as scripts/dialler-campaign.sh.
//
//   twilio-fake --port 0 --control-port 0 --numbers numbers.json --max-call-seconds 4 \
//       --route worker1.example=8081 --route dialler.example=8090
//   TWILIO_API_BASE_URL=http://127.0.0.1:PORT TWILIO_ACCOUNT_SID=AC… TWILIO_AUTH_TOKEN=… call-dialler serve
//
// Prints `twilio-fake listening on http://HOST:PORT control http://HOST:CONTROL` once both
// listen; public URLs in requests (`https://worker1.example/…`) go to the routed local ports
// (`https`→`http`, `wss`→`ws`; signatures still cover the public URL). The control port serves
// /stats, /placements, /routes and /rate-limit (see ControlServer). Runs until SIGTERM or SIGINT,
// then prints the fake's own figures.

import ArgumentParser
import CallTesting
import ExampleSupport
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

@main
struct TwilioFakeServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twilio-fake",
        abstract: "A local Twilio Voice REST fake: scripted answers, signed callbacks, media streams with a scripted caller."
    )

    @Option(help: "Listen address of both ports.")
    var host = "127.0.0.1"

    @Option(help: "REST port (0: any free port, printed at startup).")
    var port = 0

    @Option(help: "Control port: /stats, /placements, /routes, /rate-limit (0: any free port).")
    var controlPort = 0

    @Option(help: "The account SID (AC + 32 hex digits).")
    var accountSid = TwilioFake.Configuration().accountSID

    @Option(help: "The auth token: Basic auth password and the key signing callbacks and streams.")
    var authToken = TwilioFake.Configuration().authToken

    @Option(name: .customLong("route"), help: "host=port: requests for host (as written in URLs) go to 127.0.0.1:port. Repeatable.")
    var routes: [String] = []

    @Option(help: "JSON file: how each number answers (see NumberScript.swift); default: everyone is a silent human.")
    var numbers: String?

    @Option(help: "Seconds a call may run after its caller script before the fake hangs up.")
    var maxCallSeconds = 90.0

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "warning"

    func validate() throws {
        for port in [port, controlPort] where !(0...65_535).contains(port) { throw ValidationError("ports must be in 0...65535") }
        guard maxCallSeconds > 0, maxCallSeconds <= 3600 else { throw ValidationError("--max-call-seconds must be in (0, 3600]") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        for route in routes { _ = try Self.parseRoute(route) }
    }

    static func parseRoute(_ text: String) throws -> (String, Int) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65_535).contains(port) else {
            throw ValidationError("--route must be host=port, got \(text)")
        }
        return (parts[0], port)
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "twilio-fake")
        let script = try NumberScript.load(path: numbers)
        let fake = TwilioFake(configuration: .init(
            accountSID: accountSid, authToken: authToken, maximumCallDuration: .milliseconds(Int(maxCallSeconds * 1000))), logger: logger)
        try script.apply(to: fake)
        for route in routes {
            let (host, port) = try Self.parseRoute(route)
            fake.route(host: host, toPort: port)
        }
        // Trap the signals before listening, so a SIGTERM right after the start line is not lost.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let bound = try await fake.start(host: host, port: port)
        let feed = PlacementFeed()
        feed.follow(fake)

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let control = ControlServer(fake: fake, feed: feed, logger: logger)
            .makeApplication(host: host, port: controlPort) { port in
                portContinuation.yield(port)
                portContinuation.finish()
            }
        let group = ServiceGroup(configuration: .init(services: [control], gracefulShutdownSignals: [], logger: logger))
        let controlTask = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let controlBound = await iterator.next(), controlBound > 0 else {
            await fake.shutdown()
            throw ValidationError("the control server did not start (port \(controlPort) in use?)")
        }
        say("twilio-fake listening on http://\(host):\(bound) control http://\(host):\(controlBound) account \(accountSid)")
        for await signal in signals {
            say("twilio-fake: \(signal), shutting down")
            break
        }
        // Readers of /placements end first, so the control server's graceful shutdown has no
        // open response to wait for.
        feed.finish()
        await group.triggerGracefulShutdown()
        _ = await controlTask.result
        await fake.shutdown()
        let calls = fake.calls
        let byStatus = Dictionary(grouping: calls, by: { $0.status.rawValue }).mapValues(\.count)
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        say("twilio-fake: \(calls.count) call(s) (\(byStatus)), \(fake.requests.count) REST request(s), most live at once \(fake.maximumLiveCallCount)")
    }
}

/// Writes a line to stdout unbuffered, so a script waiting for it sees it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
