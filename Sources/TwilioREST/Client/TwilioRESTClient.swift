import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SpeechServices
import TwilioMediaStreams

/// Twilio Programmable Voice over REST: place a call, redirect or hang up a live call, read
/// a call. One shared `HTTPClient` (yours to shut down), HTTP Basic auth with
/// ``TwilioCredentials``, form-encoded bodies as Twilio's helper library writes them, JSON
/// answers, and typed errors (``TwilioRESTError``) decoded from Twilio's error JSON.
///
/// ```swift
/// let client = TwilioRESTClient(credentials: .authToken(accountSID: sid, authToken: token), httpClient: .shared)
/// let call = try await client.createCall(TwilioCreateCallRequest(
///     to: "+15558675310", from: "+15017122661", instructions: .twiml(xml),
///     statusCallback: "https://example.com/status", statusCallbackEvents: [.initiated, .ringing, .answered, .completed]))
/// try await client.redirectCall(sid: call.sid, twiml: TwiMLVoiceResponse.transfer(.init(target: .number("+15551230000"))).xml())
/// try await client.hangUpCall(sid: call.sid)
/// ```
///
/// No request is retried here: the error says whether a retry can help (``TwilioRESTError/isRetryable``)
/// and how long Twilio asked to wait (``TwilioRESTError/retryAfter``), so the caller's pacing decides.
public struct TwilioRESTClient: Sendable {
    /// Who the client authenticates as.
    public let credentials: TwilioCredentials
    /// Endpoint and limits.
    public let configuration: TwilioRESTConfiguration
    /// The HTTP client (not owned).
    public let httpClient: HTTPClient
    private let logger: Logger

    /// Creates a client.
    public init(
        credentials: TwilioCredentials,
        httpClient: HTTPClient = .shared,
        configuration: TwilioRESTConfiguration = .init(),
        logger: Logger = Logger(label: "twilio-rest")
    ) {
        self.credentials = credentials
        self.httpClient = httpClient
        self.configuration = configuration
        self.logger = logger
    }

    /// `POST …/Calls.json`: places a call. Twilio answers 201 with the call (status `queued`).
    public func createCall(_ request: TwilioCreateCallRequest) async throws(TwilioRESTError) -> TwilioCallRecord {
        try request.validate()
        let record = try await send(path: try callsPath(), fields: request.formFields, method: .POST, expecting: [201, 200], callSID: nil)
        logger.info("twilio call created", metadata: ["call_sid": "\(record.sid)", "status": "\(record.status)"])
        return record
    }

    /// `POST …/Calls/{sid}.json`: changes a live call (redirect to TwiML or a URL, hang up, cancel).
    public func updateCall(sid: String, _ update: TwilioUpdateCallRequest) async throws(TwilioRESTError) -> TwilioCallRecord {
        try update.validate()
        return try await send(path: try callPath(sid), fields: update.formFields, method: .POST, expecting: [200], callSID: sid)
    }

    /// Runs `twiml` on the live call now (a `<Dial>` transfers it; its media stream ends).
    @discardableResult
    public func redirectCall(sid: String, twiml: String) async throws(TwilioRESTError) -> TwilioCallRecord {
        try await updateCall(sid: sid, .twiml(twiml))
    }

    /// Hangs up the live call (`Status=completed`).
    @discardableResult
    public func hangUpCall(sid: String) async throws(TwilioRESTError) -> TwilioCallRecord {
        try await updateCall(sid: sid, .hangUp)
    }

    /// `GET …/Calls/{sid}.json`: the call as Twilio sees it now.
    public func fetchCall(sid: String) async throws(TwilioRESTError) -> TwilioCallRecord {
        try await send(path: try callPath(sid), fields: [], method: .GET, expecting: [200], callSID: sid)
    }

    // MARK: Paths

    private func callsPath() throws(TwilioRESTError) -> String {
        guard TwilioSID.isValid(credentials.accountSID, kind: .account) else { throw .invalidRequest("account SID is not AC + 32 hex digits") }
        return "/2010-04-01/Accounts/\(credentials.accountSID)/Calls.json"
    }

    private func callPath(_ sid: String) throws(TwilioRESTError) -> String {
        guard TwilioSID.isValid(credentials.accountSID, kind: .account) else { throw .invalidRequest("account SID is not AC + 32 hex digits") }
        guard TwilioSID.isValid(sid, kind: .call) else { throw .invalidRequest("call SID is not CA + 32 hex digits") }
        return "/2010-04-01/Accounts/\(credentials.accountSID)/Calls/\(sid).json"
    }

    // MARK: Exchange

    private struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    private func send(
        path: String, fields: [(name: String, value: String)], method: HTTPMethod, expecting: Set<Int>, callSID: String?
    ) async throws(TwilioRESTError) -> TwilioCallRecord {
        var request = HTTPClientRequest(url: configuration.baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: credentials.authorizationHeader)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "swift-call-pipeline-twilio-rest")
        if method == .POST {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: TwilioFormEncoder.encode(fields)))
        }
        var logger = self.logger
        if let callSID { logger[metadataKey: "call_sid"] = "\(callSID)" }
        let answer: Answer
        do throws(TwilioRESTError) {
            answer = try await exchange(request)
        } catch {
            logger.warning("twilio request failed", metadata: ["path": "\(path)", "error": "\(error)"])
            throw error
        }
        guard expecting.contains(answer.status) else {
            let error = Self.error(status: answer.status, headers: answer.headers, body: answer.body, maximumRetryAfter: configuration.maximumRetryAfter)
            logger.warning("twilio request refused", metadata: [
                "path": "\(path)", "status": "\(answer.status)", "twilio_code": "\(error.twilioCode.map(String.init) ?? "-")", "error": "\(error)",
            ])
            throw error
        }
        do {
            return try JSONDecoder().decode(TwilioCallRecord.self, from: Data(answer.body.readableBytesView))
        } catch {
            throw .malformedResponse(status: answer.status, reason: "not a Call resource: \(String(describing: error).prefix(200))")
        }
    }

    /// One request with the whole exchange (head and body) bounded by the timeout.
    private func exchange(_ request: HTTPClientRequest) async throws(TwilioRESTError) -> Answer {
        let (client, limit, timeout) = (httpClient, configuration.maximumResponseBytes, configuration.requestTimeout)
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        do {
            return try await withThrowingTaskGroup(of: Answer?.self) { group in
                group.addTask {
                    let response = try await client.execute(request, timeout: .nanoseconds(max(1_000_000, nanoseconds)))
                    let status = Int(response.status.code)
                    do {
                        let body = try await response.body.collect(upTo: limit)
                        return Answer(status: status, headers: response.headers, body: body)
                    } catch is NIOTooManyBytesError {
                        throw TwilioRESTError.responseTooLarge(limit: limit)
                    } catch let error as TwilioRESTError {
                        throw error
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        throw TwilioRESTError.malformedResponse(status: status, reason: "body not received completely: \(String(describing: error).prefix(200))")
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let answer = first else { throw TwilioRESTError.timeout }
                return answer
            }
        } catch let error as TwilioRESTError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw .timeout
        } catch {
            throw .transport(String(String(describing: error).prefix(200)))
        }
    }

    // MARK: Errors

    /// The typed error for a refused answer (`status` not expected).
    static func error(status: Int, headers: HTTPHeaders, body: ByteBuffer, maximumRetryAfter: Duration, now: Date = Date()) -> TwilioRESTError {
        let api = try? JSONDecoder().decode(TwilioAPIError.self, from: Data(body.readableBytesView))
        let code = api?.code
        if status == 429 || code == 20429 {
            return .rateLimited(api, retryAfter: retryAfter(headers.first(name: "Retry-After"), maximum: maximumRetryAfter, now: now))
        }
        if status >= 500 { return .serverError(status: status, api) }
        guard let api else {
            let text = String(buffer: body).prefix(120)
            if status == 401 { return .authenticationFailed(TwilioAPIError(code: nil, message: String(text), status: 401)) }
            if status == 404 { return .notFound(TwilioAPIError(code: nil, message: String(text), status: 404)) }
            return .rejected(status: status, nil)
        }
        if status == 401 || code == 20003 { return .authenticationFailed(api) }
        if status == 404 || code == 20404 { return .notFound(api) }
        if let code, TwilioRESTError.invalidNumberCodes.contains(code) { return .invalidNumber(api) }
        return .rejected(status: status, api)
    }

    /// `Retry-After` as seconds (fractional accepted) or an HTTP date, clamped to `maximum`;
    /// nil when absent, not positive, NaN or unparsable. Never traps.
    public static func retryAfter(_ value: String?, maximum: Duration, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty, value.utf8.count <= 64 else { return nil }
        if let seconds = Double(value) { return NetworkNumber.duration(seconds: seconds, maximum: maximum) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return NetworkNumber.duration(seconds: date.timeIntervalSince(now), maximum: maximum)
    }
}
