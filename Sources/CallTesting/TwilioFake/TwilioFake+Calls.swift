import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import TwilioMediaStreams
import TwilioREST

extension TwilioFake {
    /// One call from `initiated` to its final status.
    func run(_ sid: String, behavior: TwilioFakeBehavior) async {
        guard let start = state.withLockedValue({ state in state.calls[sid].map { ($0.form, $0.streamEnd) } }) else { return }
        let (form, gate) = start
        let detection = form["MachineDetection"]?.first
        let asyncAMD = form["AsyncAmd"]?.first == "true"
        await progress(sid, "initiated")
        if await interrupted(gate, for: behavior.ringTime) { return await finish(sid, .canceled) }
        update(sid) { $0.call.status = .ringing }
        await progress(sid, "ringing")
        if await interrupted(gate, for: behavior.ringTime) { return await finish(sid, .canceled) }

        let answeredBy: TwilioAnsweredBy?
        switch behavior.answer {
        case .busy: return await finish(sid, .busy)
        case .noAnswer: return await finish(sid, .noAnswer)
        case .failed: return await finish(sid, .failed, sipResponseCode: 503)
        case .human: answeredBy = detection == nil ? nil : .human
        case .fax: answeredBy = detection == nil ? nil : .fax
        case .machine(let end): answeredBy = detection == nil ? nil : (detection == "DetectMessageEnd" ? end : .machineStart)
        }
        let syncAnsweredBy = asyncAMD ? nil : answeredBy
        update(sid) { live in
            live.call.status = .inProgress
            live.call.answeredBy = answeredBy
            live.call.answeredAt = Date()
            live.answeredAt = .now
        }
        await progress(sid, "answered", answeredBy: syncAnsweredBy)

        var verbs: [FakeTwiMLVerb] = []
        if let twiml = form["Twiml"]?.first, form["Url"]?.first == nil {
            do throws(FakeTwiMLError) {
                verbs = try FakeTwiMLVerb.parse(twiml)
            } catch {
                update(sid) { $0.call.errors.append("12100: TwiML parse failure") }
            }
        } else if let url = form["Url"]?.first {
            verbs = await fetchTwiML(url: url, method: form["Method"]?.first ?? "POST", sid: sid, answeredBy: syncAnsweredBy) ?? []
        }
        let asyncResult = asyncAMD ? answeredBy : nil
        let streams = verbs.contains { if case .stream = $0 { true } else { false } }
        // Async detection reports while the call runs: on a media stream once the agent's
        // first audio arrived (detection needs the greeting), otherwise before the TwiML runs.
        if let asyncResult, !streams { await postMachineDetection(sid, asyncResult) }
        update(sid) { $0.pendingMachineDetection = streams ? asyncResult : nil }
        await execute(sid, verbs: verbs, behavior: behavior)
        await finish(sid, .completed)
    }

    /// Posts the async AMD result (`AsyncAmdStatusCallback`), once.
    func postMachineDetection(_ sid: String, _ answeredBy: TwilioAnsweredBy) async {
        guard let url = update(sid, { live -> String? in
            live.pendingMachineDetection = nil
            return live.form["AsyncAmdStatusCallback"]?.first
        }) ?? nil else { return }
        let status = await post(url, fields: [
            ("AccountSid", configuration.accountSID), ("AnsweredBy", answeredBy.rawValue), ("CallSid", sid),
            ("MachineDetectionDuration", "2100"),
        ], sid: sid)
        update(sid) { $0.call.callbacks.append(.init(callStatus: nil, answeredBy: answeredBy.rawValue, sequenceNumber: nil, responseStatus: status)) }
    }

    /// Runs TwiML verbs until the document ends, a `<Dial>` hands the call on, or a hang-up.
    private func execute(_ sid: String, verbs: [FakeTwiMLVerb], behavior: TwilioFakeBehavior) async {
        var queue = verbs[...]
        while true {
            let (redirect, hangUp) = update(sid) { live -> ([FakeTwiMLVerb]?, Bool) in
                defer { live.redirect = nil }
                return (live.redirect, live.hangUpRequested || live.callerHungUp)
            } ?? (nil, true)
            if hangUp { return }
            if let redirect { queue = redirect[...] }
            guard let verb = queue.popFirst() else { return }
            switch verb {
            case .say(let text):
                update(sid) { $0.call.said.append(text) }
            case .pause:
                break
            case .dial(let target, _, let callerID):
                update(sid) { live in
                    live.call.dialed = target
                    live.call.dialCallerID = callerID
                }
                return
            case .hangUp:
                return
            case .stream(let url, let parameters):
                await stream(sid, url: url, parameters: parameters, behavior: behavior)
            }
        }
    }

    /// One `<Connect><Stream>`: the media-stream WebSocket with a scripted caller, until the
    /// worker closes it or an update ends it.
    private func stream(_ sid: String, url: String, parameters: [String: String], behavior: TwilioFakeBehavior) async {
        let gate = StallGate()
        let proceed = update(sid) { live -> Bool in
            guard live.redirect == nil, !live.hangUpRequested else { return false }
            live.streamEnd = gate
            live.call.streamParameters = parameters
            return true
        } ?? false
        guard proceed else { return }
        let streamSid = "MZ" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let simulatorConfiguration = TwilioCallerSimulator.Configuration(
            accountSid: configuration.accountSID, callSid: sid, streamSid: streamSid, customParameters: parameters, recordsPlayedAudio: true)
        var headers = HTTPFields()
        headers[TwilioFake.signatureField] = signer.signature(url: url)
        let maximum = configuration.maximumCallDuration
        do {
            let firstAudio = StallGate()
            let final = try await TwilioWebSocketCaller.call(
                url: localURL(url), configuration: simulatorConfiguration, headers: headers, logger: logger,
                observer: { _, carriedAudio, _ in if carriedAudio { firstAudio.releaseAll() } }
            ) { [self] caller in
                update(sid) { $0.caller = caller }
                caller.connectedAndStart()
                await withTaskGroup(of: Void.self) { group in
                    if let pending = self.state.withLockedValue({ $0.calls[sid]?.pendingMachineDetection }) {
                        // Outside the stream's tasks: the receiver may end the stream (redirect)
                        // before it answers this callback.
                        let report = Task {
                            await firstAudio.wait()
                            if !gate.isReleased { await self.postMachineDetection(sid, pending) }
                        }
                        self.state.withLockedValue { $0.callTasks.append(report) }
                    }
                    group.addTask {
                        try? await behavior.script?(caller)
                        _ = try? await caller.waitInSilence(seconds: maximum.fakeSeconds) { _ in false }
                    }
                    group.addTask { await gate.wait() }
                    await group.next()
                    group.cancelAll()
                }
                if !caller.isServerClosed {
                    if !gate.isReleased {
                        // The caller hangs up. Like Twilio, the call is over first and the
                        // stream's `stop` follows, so the call is not counted live while the
                        // worker closes its side.
                        update(sid) { live in
                            live.callerHungUp = true
                            live.call.status = .completed
                        }
                    }
                    caller.stop()
                }
            }
            update(sid) { live in
                live.caller = nil
                live.call.agentAudio.append(contentsOf: final.playedAudio)
                live.call.playedMarks += final.echoes.filter { !$0.flushed }.count
                let end: TwilioFakeCall.StreamEnd
                if live.redirect != nil {
                    end = .redirected
                } else if live.hangUpRequested {
                    end = .hungUp
                } else if live.callerHungUp {
                    end = .callerHungUp
                } else {
                    end = gate.isReleased ? .other("ended by the fake") : .closedByWorker
                }
                live.call.streamEnd = end
            }
        } catch {
            update(sid) { live in
                live.caller = nil
                live.call.errors.append("media stream: \(error)")
                live.call.streamEnd = live.redirect != nil ? TwilioFakeCall.StreamEnd.redirected : TwilioFakeCall.StreamEnd.other("\(error)")
            }
        }
    }

    /// Waits `duration` unless the call is hung up or redirected first (then true).
    private func interrupted(_ gate: StallGate, for duration: Duration) async -> Bool {
        do {
            try await gate.pause(duration)
            return false
        } catch {
            return true
        }
    }

    private func finish(_ sid: String, _ status: TwilioCallStatus, sipResponseCode: Int? = nil) async {
        let seconds = update(sid) { live -> Int in
            live.caller = nil
            return live.answeredAt.map { Int((ContinuousClock.now - $0).components.seconds) } ?? 0
        } ?? 0
        var extra: [(String, String)] = [("CallDuration", "\(seconds)"), ("Duration", "\(max(1, (seconds + 59) / 60))")]
        if let sipResponseCode { extra.append(("SipResponseCode", "\(sipResponseCode)")) }
        // Like Twilio: the call resource is final before the callback is posted (a receiver
        // that is gone does not keep the call alive).
        update(sid) { $0.call.status = status }
        await progress(sid, "completed", status: status.rawValue, extra: extra)
    }

    /// Posts a progress callback when the call asked for `event` (`completed` is sent whenever
    /// a callback URL is set and no event list excludes it).
    private func progress(
        _ sid: String, _ event: String, status: String? = nil, answeredBy: TwilioAnsweredBy? = nil, extra: [(String, String)] = []
    ) async {
        guard let current = update(sid, { live -> ([String: [String]], TwilioFakeCall, Int) in
            defer { live.sequence += 1 }
            return (live.form, live.call, live.sequence)
        }) else { return }
        let (form, call, sequence) = current
        guard let url = form["StatusCallback"]?.first else { return }
        let events = form["StatusCallbackEvent"] ?? []
        guard events.contains(event) || (event == "completed" && events.isEmpty) else { return }
        let callStatus = status ?? (event == "answered" ? "in-progress" : event)
        var fields: [(String, String)] = [
            ("AccountSid", configuration.accountSID), ("ApiVersion", "2010-04-01"), ("CallSid", sid), ("CallStatus", callStatus),
            ("Direction", "outbound-api"), ("From", call.from), ("To", call.to), ("Caller", call.from), ("Called", call.to),
            ("CallbackSource", "call-progress-events"), ("SequenceNumber", "\(sequence)"), ("Timestamp", Self.rfc2822(Date())),
        ]
        if let answeredBy { fields.append(("AnsweredBy", answeredBy.rawValue)) }
        fields += extra
        let responseStatus = await post(url, fields: fields, sid: sid)
        update(sid) { $0.call.callbacks.append(.init(callStatus: callStatus, answeredBy: answeredBy?.rawValue, sequenceNumber: sequence, responseStatus: responseStatus)) }
    }

    /// The TwiML a `Url` answers (signed POST like Twilio's voice webhook), or nil.
    func fetchTwiML(url: String, method: String, sid: String, answeredBy: TwilioAnsweredBy? = nil) async -> [FakeTwiMLVerb]? {
        guard let call = call(sid) else { return nil }
        var fields: [(String, String)] = [
            ("AccountSid", configuration.accountSID), ("ApiVersion", "2010-04-01"), ("CallSid", sid), ("CallStatus", "in-progress"),
            ("Direction", "outbound-api"), ("From", call.from), ("To", call.to), ("Caller", call.from), ("Called", call.to),
        ]
        if let answeredBy { fields.append(("AnsweredBy", answeredBy.rawValue)) }
        let (status, body) = await send(url, fields: fields, sid: sid)
        guard status == 200, let body else {
            update(sid) { $0.call.errors.append("11200: TwiML fetch from \(url) answered \(status.map(String.init) ?? "nothing")") }
            return nil
        }
        do throws(FakeTwiMLError) {
            return try FakeTwiMLVerb.parse(body)
        } catch {
            update(sid) { $0.call.errors.append("12100: TwiML from \(url) is not a Response document") }
            return nil
        }
    }

    private func post(_ url: String, fields: [(String, String)], sid: String) async -> Int? {
        await send(url, fields: fields, sid: sid).status
    }

    /// A signed form POST to `url` (mapped to its local route); the status and body.
    private func send(_ url: String, fields: [(String, String)], sid: String) async -> (status: Int?, body: String?) {
        var grouped: [String: [String]] = [:]
        for (name, value) in fields { grouped[name, default: []].append(value) }
        var request = HTTPClientRequest(url: localURL(url))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "X-Twilio-Signature", value: signer.signature(url: url, parameters: grouped))
        request.headers.add(name: "User-Agent", value: "TwilioProxy/1.1")
        request.body = .bytes(ByteBuffer(string: TwilioFormEncoder.encode(fields.map { (name: $0.0, value: $0.1) })))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(3))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), String(buffer: body))
        } catch {
            update(sid) { $0.call.errors.append("request to \(url) failed: \(error)") }
            return (nil, nil)
        }
    }

    /// `url` with a routed host replaced by `127.0.0.1:<port>` and TLS schemes downgraded.
    func localURL(_ url: String) -> String {
        guard var components = URLComponents(string: url), let host = components.host?.lowercased() else { return url }
        let key = components.port.map { "\(host):\($0)" } ?? host
        guard let port = state.withLockedValue({ $0.routes[key] ?? $0.routes[host] }) else { return url }
        switch components.scheme?.lowercased() {
        case "https": components.scheme = "http"
        case "wss": components.scheme = "ws"
        default: break
        }
        components.host = "127.0.0.1"
        components.port = port
        return components.string ?? url
    }
}

extension Duration {
    /// Fractional seconds.
    var fakeSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
