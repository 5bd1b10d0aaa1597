import AsyncHTTPClient
import Foundation
import Testing
import TwilioREST

/// The client against a raw local server answering every error shape Twilio (or a broken
/// network) can produce: each becomes the right typed error, nothing traps.
@Suite(.timeLimit(.minutes(2)))
struct TwilioRESTErrorTests {
    static let account = "AC" + String(repeating: "a", count: 32)
    static let call = "CA" + String(repeating: "b", count: 32)

    static func client(port: Int, timeout: Duration = .seconds(5), maximumBytes: Int = 256 * 1024) -> TwilioRESTClient {
        TwilioRESTClient(
            credentials: .authToken(accountSID: account, authToken: "token"),
            configuration: TwilioRESTConfiguration(baseURL: "http://127.0.0.1:\(port)", requestTimeout: timeout, maximumResponseBytes: maximumBytes, maximumRetryAfter: .seconds(60)))
    }

    static let create = TwilioCreateCallRequest(to: "+15558675310", from: "+15017122661", instructions: .twiml("<Response><Hangup/></Response>"))

    /// The error `reply` produces for a create (and, for the same server, an update).
    static func error(for reply: RawHTTPServer.Reply, timeout: Duration = .seconds(5), maximumBytes: Int = 256 * 1024) async throws -> TwilioRESTError? {
        let server = try await RawHTTPServer.start(reply)
        defer { Task { await server.stop() } }
        do throws(TwilioRESTError) {
            _ = try await client(port: server.port, timeout: timeout, maximumBytes: maximumBytes).createCall(create)
            return nil
        } catch {
            return error
        }
    }

    static func twilioBody(_ code: Int, _ status: Int, _ message: String) -> String {
        #"{"code":\#(code),"message":"\#(message)","more_info":"https://www.twilio.com/docs/errors/\#(code)","status":\#(status)}"#
    }

    @Test func authenticationNotFoundAndInvalidNumber() async throws {
        let auth = try await Self.error(for: RawHTTPServer.json(status: "401 Unauthorized", body: Self.twilioBody(20003, 401, "Authenticate")))
        guard case .authenticationFailed(let api)? = auth else { Issue.record("got \(String(describing: auth))"); return }
        #expect(api.code == 20003 && api.moreInfo == "https://www.twilio.com/docs/errors/20003")
        #expect(auth?.isRetryable == false)

        let missing = try await Self.error(for: RawHTTPServer.json(status: "404 Not Found", body: Self.twilioBody(20404, 404, "The requested resource was not found")))
        guard case .notFound? = missing else { Issue.record("got \(String(describing: missing))"); return }
        #expect(missing?.twilioCode == 20404)

        let invalid = try await Self.error(for: RawHTTPServer.json(status: "400 Bad Request", body: Self.twilioBody(21211, 400, "The 'To' number 123 is not a valid phone number.")))
        guard case .invalidNumber? = invalid else { Issue.record("got \(String(describing: invalid))"); return }
        #expect(invalid?.twilioCode == 21211 && invalid?.httpStatus == 400 && invalid?.isRetryable == false)

        let other = try await Self.error(for: RawHTTPServer.json(status: "400 Bad Request", body: Self.twilioBody(21210, 400, "From is not verified")))
        guard case .rejected(400, _)? = other else { Issue.record("got \(String(describing: other))"); return }
        #expect(other?.twilioCode == 21210)

        let html = try await Self.error(for: RawHTTPServer.json(status: "401 Unauthorized", body: "<html>nope</html>"))
        guard case .authenticationFailed? = html else { Issue.record("got \(String(describing: html))"); return }
    }

    @Test(arguments: [
        ("2", Duration.seconds(2)), ("0.5", .milliseconds(500)), ("1e20", .seconds(60)), ("inf", .seconds(60)),
        ("-3", nil), ("nan", nil), ("soon", nil), ("", nil), ("Fri, 31 Dec 9999 23:59:59 GMT", .seconds(60)),
    ] as [(String, Duration?)])
    func rateLimitedCarriesAClampedRetryAfter(header: String, expected: Duration?) async throws {
        let headers = header.isEmpty ? [] : ["Retry-After: \(header)"]
        let error = try await Self.error(for: RawHTTPServer.json(status: "429 Too Many Requests", headers: headers, body: Self.twilioBody(20429, 429, "Too Many Requests")))
        guard case .rateLimited(let api, let retryAfter)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(api?.code == 20429)
        #expect(retryAfter == expected)
        #expect(error?.isRetryable == true)
    }

    @Test func serverErrorsAreRetryable() async throws {
        let error = try await Self.error(for: RawHTTPServer.json(status: "500 Internal Server Error", body: "oops"))
        guard case .serverError(500, nil)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.isRetryable == true)
        let gateway = try await Self.error(for: RawHTTPServer.json(status: "503 Service Unavailable", body: Self.twilioBody(20500, 503, "Internal")))
        guard case .serverError(503, let api)? = gateway else { Issue.record("got \(String(describing: gateway))"); return }
        #expect(api?.code == 20500)
    }

    @Test func truncatedMalformedAndOversizedBodies() async throws {
        let truncated = try await Self.error(for: .bytes("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"sid\":\"CA01", close: true))
        guard case .malformedResponse(201, _)? = truncated else { Issue.record("got \(String(describing: truncated))"); return }
        let notJSON = try await Self.error(for: RawHTTPServer.json(status: "201 Created", body: "<Response/>"))
        guard case .malformedResponse(201, _)? = notJSON else { Issue.record("got \(String(describing: notJSON))"); return }
        let noSid = try await Self.error(for: RawHTTPServer.json(status: "201 Created", body: #"{"status":"queued"}"#))
        guard case .malformedResponse? = noSid else { Issue.record("got \(String(describing: noSid))"); return }
        let huge = #"{"sid":"CA01","status":"queued","x":""# + String(repeating: "y", count: 300_000) + #""}"#
        let oversized = try await Self.error(for: RawHTTPServer.json(status: "201 Created", body: huge), maximumBytes: 64 * 1024)
        guard case .responseTooLarge(64 * 1024)? = oversized else { Issue.record("got \(String(describing: oversized))"); return }
    }

    @Test func aStalledServerTimesOutAndARefusedConnectionIsATransportError() async throws {
        let started = ContinuousClock.now
        let stalled = try await Self.error(for: .stall, timeout: .milliseconds(300))
        guard case .timeout? = stalled else { Issue.record("got \(String(describing: stalled))"); return }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(stalled?.isRetryable == true)

        // Nothing listens on port 1: the connection is refused. AHC retries connecting until the
        // deadline, so a loaded machine may report the deadline first; both are retryable.
        do throws(TwilioRESTError) {
            _ = try await Self.client(port: 1, timeout: .seconds(1)).createCall(Self.create)
            Issue.record("a closed port answered")
        } catch {
            switch error {
            case .transport, .timeout: #expect(error.isRetryable)
            default: Issue.record("got \(error)")
            }
        }
    }

    @Test func successDecodesTheCallResource() async throws {
        let body = #"{"sid":"CA0123456789abcdef0123456789abcdef","account_sid":"ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","api_version":"2010-04-01","date_created":"Wed, 02 Sep 2026 10:00:00 +0000","date_updated":"Wed, 02 Sep 2026 10:00:00 +0000","direction":"outbound-api","from":"+15017122661","to":"+15558675310","status":"queued","answered_by":null,"duration":null,"start_time":null,"end_time":null,"price":null,"price_unit":"USD","parent_call_sid":null,"queue_time":"0","subresource_uris":{},"uri":"/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Calls/CA0123456789abcdef0123456789abcdef.json"}"#
        let server = try await RawHTTPServer.start(RawHTTPServer.json(status: "201 Created", body: body))
        defer { Task { await server.stop() } }
        let call = try await Self.client(port: server.port).createCall(Self.create)
        #expect(call.sid == "CA0123456789abcdef0123456789abcdef")
        #expect(call.status == .queued && call.direction == "outbound-api" && call.answeredBy == nil)
        // An update expects 200: the same 201 answer is accepted only for creates.
        do throws(TwilioRESTError) {
            _ = try await Self.client(port: server.port).hangUpCall(sid: Self.call)
            Issue.record("201 accepted for an update")
        } catch {
            guard case .rejected(201, _) = error else { Issue.record("got \(error)"); return }
        }
        // A SID that could inject a path is refused before anything is sent.
        await #expect(throws: TwilioRESTError.self) { try await Self.client(port: server.port).hangUpCall(sid: "CA../../x") }
    }
}
