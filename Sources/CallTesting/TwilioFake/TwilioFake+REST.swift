import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TwilioMediaStreams
import TwilioREST

extension TwilioFake {
    /// One REST request: auth, rate limit, then create / update / fetch.
    func handle(_ request: Request, context: BasicRequestContext, callFile: String?) async throws -> Response {
        let body = String(buffer: try await request.body.collect(upTo: 256 * 1024))
        let form = Self.decodeForm(body)
        let method = request.method == .get ? "GET" : "POST"
        let path = request.uri.path
        var record = TwilioFakeRequest(method: method, path: path, form: form, body: body, authenticated: false, responseStatus: 0)
        defer { state.withLockedValue { $0.requests.append(record) } }

        let account = context.parameters.get("account") ?? ""
        record.authenticated = account == configuration.accountSID && authorized(request.headers[.authorization])
        guard record.authenticated else {
            record.responseStatus = 401
            return Self.error(code: 20003, message: "Authenticate", status: .unauthorized)
        }
        let limited = state.withLockedValue { state -> String?? in
            guard state.rateLimited.remaining > 0 else { return nil }
            state.rateLimited.remaining -= 1
            return .some(state.rateLimited.retryAfter)
        }
        if let retryAfter = limited {
            record.responseStatus = 429
            var response = Self.error(code: 20429, message: "Too Many Requests", status: .tooManyRequests)
            if let retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        }
        guard let callFile else {
            let (response, sid) = create(form: form)
            record.responseStatus = Int(response.status.code)
            record.callSID = sid
            return response
        }
        guard callFile.hasSuffix(".json") else {
            record.responseStatus = 404
            return Self.error(code: 20404, message: "The requested resource \(path) was not found", status: .notFound)
        }
        let sid = String(callFile.dropLast(5))
        record.callSID = sid
        if method == "GET" {
            guard let call = call(sid) else {
                record.responseStatus = 404
                return Self.error(code: 20404, message: "The requested resource \(path) was not found", status: .notFound)
            }
            record.responseStatus = 200
            return Self.json(Self.callJSON(call, accountSID: configuration.accountSID), status: .ok)
        }
        record.callerSnapshot = state.withLockedValue { $0.calls[sid]?.caller }.map { caller in
            let simulator = caller.state
            return .init(
                playedBytes: simulator.playedByteCount, queuedBytes: simulator.queuedByteCount,
                pendingMarks: simulator.pendingMarkNames.count, playedMarks: simulator.echoes.filter { !$0.flushed }.count)
        }
        let response = await updateCall(sid, form: form, path: path)
        record.responseStatus = Int(response.status.code)
        return response
    }

    func authorized(_ header: String?) -> Bool {
        if TwilioCredentials.authToken(accountSID: configuration.accountSID, authToken: configuration.authToken).matches(authorizationHeader: header) {
            return true
        }
        return configuration.apiKeys.contains { key, secret in
            TwilioCredentials.apiKey(accountSID: configuration.accountSID, keySID: key, secret: secret).matches(authorizationHeader: header)
        }
    }

    private func create(form pairs: [(name: String, value: String)]) -> (Response, String?) {
        let form = Dictionary(grouping: pairs, by: \.name).mapValues { $0.map(\.value) }
        guard let to = form["To"]?.first, !to.isEmpty else {
            return (Self.error(code: 21201, message: "No 'To' number is specified", status: .badRequest), nil)
        }
        guard let from = form["From"]?.first, !from.isEmpty else {
            return (Self.error(code: 21213, message: "No 'From' number is specified", status: .badRequest), nil)
        }
        let twiml = form["Twiml"]?.first
        let url = form["Url"]?.first
        guard twiml != nil || url != nil else {
            return (Self.error(code: 21205, message: "Url parameter is required", status: .badRequest), nil)
        }
        if let twiml, url == nil, twiml.count > 4000 {
            return (Self.error(code: 21236, message: "Twiml is too long", status: .badRequest), nil)
        }
        let behavior = state.withLockedValue { $0.behaviors[to] ?? $0.defaultBehavior }
        if let code = behavior.rejectionCode {
            return (Self.error(code: code, message: "The 'To' number \(to) is not a valid phone number.", status: .badRequest), nil)
        }
        guard to.hasPrefix("+") || to.hasPrefix("sip:") || to.hasPrefix("client:") else {
            return (Self.error(code: 21211, message: "The 'To' number \(to) is not a valid phone number.", status: .badRequest), nil)
        }
        let sid = "CA" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let call = TwilioFakeCall(sid: sid, to: to, from: from, status: .queued)
        let ready = state.withLockedValue { state -> [(CheckedContinuation<[TwilioFakeCall], Never>, [TwilioFakeCall])] in
            state.calls[sid] = LiveCall(call: call, form: form)
            state.order.append(sid)
            state.live += 1
            state.maximumLive = max(state.maximumLive, state.live)
            let task = Task { await self.run(sid, behavior: behavior) }
            state.callTasks.append(task)
            return Self.readyWaiters(&state)
        }
        for (continuation, calls) in ready { continuation.resume(returning: calls) }
        return (Self.json(Self.callJSON(call, accountSID: configuration.accountSID), status: .created), sid)
    }

    private func updateCall(_ sid: String, form pairs: [(name: String, value: String)], path: String) async -> Response {
        let form = Dictionary(grouping: pairs, by: \.name).mapValues { $0.map(\.value) }
        var verbs: [FakeTwiMLVerb]?
        if let twiml = form["Twiml"]?.first {
            do throws(FakeTwiMLError) {
                verbs = try FakeTwiMLVerb.parse(twiml)
            } catch {
                return Self.error(code: 12100, message: "Document parse failure", status: .badRequest)
            }
        } else if let url = form["Url"]?.first {
            verbs = await fetchTwiML(url: url, method: form["Method"]?.first ?? "POST", sid: sid)
        }
        let status = form["Status"]?.first
        let outcome = update(sid) { live -> TwilioFakeCall? in
            guard !live.call.isEnded else { return nil }
            if let verbs {
                live.redirect = verbs
            } else if status == "completed" || (status == "canceled" && !live.call.status.isAnswered) {
                live.hangUpRequested = true
            }
            live.streamEnd.releaseAll()
            return live.call
        }
        guard let snapshot = outcome ?? nil else {
            return Self.error(code: 20404, message: "The requested resource \(path) was not found", status: .notFound)
        }
        return Self.json(Self.callJSON(snapshot, accountSID: configuration.accountSID), status: .ok)
    }

    // MARK: Wire helpers

    static func decodeForm(_ body: String) -> [(name: String, value: String)] {
        body.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func error(code: Int, message: String, status: HTTPResponse.Status) -> Response {
        let object: [String: Any] = [
            "code": code, "message": message, "more_info": "https://www.twilio.com/docs/errors/\(code)", "status": Int(status.code),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return json(String(decoding: data, as: UTF8.self), status: status)
    }

    static func json(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func callJSON(_ call: TwilioFakeCall, accountSID: String) -> String {
        let null = NSNull()
        let object: [String: Any] = [
            "sid": call.sid, "account_sid": accountSID, "api_version": "2010-04-01", "direction": "outbound-api",
            "to": call.to, "from": call.from, "status": call.status.rawValue,
            "answered_by": call.answeredBy?.rawValue ?? null, "duration": null, "start_time": null, "end_time": null,
            "price": null, "price_unit": "USD", "parent_call_sid": null, "queue_time": "0", "subresource_uris": [String: String](),
            "date_created": rfc2822(Date()), "date_updated": rfc2822(Date()),
            "uri": "/2010-04-01/Accounts/\(accountSID)/Calls/\(call.sid).json",
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func rfc2822(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}

extension TwilioCallStatus {
    /// Whether the call was answered (it is, or was, in progress).
    var isAnswered: Bool { self == .inProgress || self == .completed }
}
