import CallTesting
import Foundation
import Testing
import TwilioMediaStreams
import TwilioREST

/// The REST client against the Twilio fake: auth, create, callbacks (signed, verified),
/// scripted outcomes, rate limits, updates of ended calls.
@Suite(.timeLimit(.minutes(2)))
struct TwilioFakeRESTTests {
    static let configuration = TwilioFake.Configuration(apiKeys: ["SK" + String(repeating: "1", count: 32): "key-secret"])

    static func client(_ fake: TwilioFake, credentials: TwilioCredentials? = nil) -> TwilioRESTClient {
        TwilioRESTClient(
            credentials: credentials ?? .authToken(accountSID: fake.configuration.accountSID, authToken: fake.configuration.authToken),
            configuration: TwilioRESTConfiguration(baseURL: fake.baseURL, requestTimeout: .seconds(5)))
    }

    static func request(to: String, receiver: TwilioCallbackReceiver) -> TwilioCreateCallRequest {
        TwilioCreateCallRequest(
            to: to, from: "+15017122661", instructions: .twiml(#"<Response><Say>Hello &amp; bye</Say><Hangup/></Response>"#),
            statusCallback: receiver.publicBaseURL + "/status?lead=7", statusCallbackEvents: [.initiated, .ringing, .answered, .completed],
            timeoutSeconds: 20)
    }

    static func withFakeAndReceiver<T: Sendable>(_ body: (TwilioFake, TwilioCallbackReceiver) async throws -> T) async throws -> T {
        try await TwilioFake.withRunningFake(configuration: configuration) { fake in
            let receiver = TwilioCallbackReceiver(authToken: fake.configuration.authToken)
            let port = try await receiver.start()
            fake.route(host: receiver.publicHost, toPort: port)
            do {
                let value = try await body(fake, receiver)
                await receiver.shutdown()
                return value
            } catch {
                await receiver.shutdown()
                throw error
            }
        }
    }

    @Test func aHumanAnswerPostsSignedProgressCallbacksInOrder() async throws {
        try await Self.withFakeAndReceiver { fake, receiver in
            let call = try await Self.client(fake).createCall(Self.request(to: "+15558675310", receiver: receiver))
            #expect(TwilioSID.isValid(call.sid, kind: .call))
            #expect(call.status == .queued && call.to == "+15558675310")
            let events = await receiver.wait { events in events.contains { $0.callSID == call.sid && $0.callStatus == .completed } }
            #expect(events.map { $0.callStatus?.rawValue ?? "-" } == ["initiated", "ringing", "in-progress", "completed"])
            #expect(events.compactMap(\.sequenceNumber) == [0, 1, 2, 3])
            #expect(receiver.refusals.isEmpty)
            let ended = try #require(await fake.waitUntilEnded(call.sid))
            #expect(ended.said == ["Hello & bye"])
            #expect(ended.status == .completed && !ended.transferred)
            // The create request on the wire: repeated StatusCallbackEvent keys, Basic auth.
            let create = try #require(fake.requests.first)
            #expect(create.values("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"])
            #expect(create.authenticated && create.responseStatus == 201)
            #expect(fake.liveCallCount == 0 && fake.maximumLiveCallCount == 1)
            // The fake's timeline of the call: request, creation, answer and end, in order.
            let answeredAt = try #require(ended.answeredAt)
            let endedAt = try #require(ended.endedAt)
            #expect(create.receivedAt <= ended.createdAt && ended.createdAt <= answeredAt && answeredAt <= endedAt)
            // Updating a call that ended is Twilio's 404 / 20404.
            do throws(TwilioRESTError) {
                try await Self.client(fake).hangUpCall(sid: call.sid)
                Issue.record("an ended call was updated")
            } catch {
                guard case .notFound(let api) = error else { Issue.record("got \(error)"); return }
                #expect(api.code == 20404 && api.status == 404)
            }
            let fetched = try await Self.client(fake).fetchCall(sid: call.sid)
            #expect(fetched.status == .completed)
        }
    }

    @Test(arguments: [
        ("+15550000001", TwilioFakeBehavior.busy, "busy"), ("+15550000002", .noAnswer, "no-answer"), ("+15550000003", .failed, "failed"),
    ])
    func unansweredCallsEndWithTheirStatus(number: String, behavior: TwilioFakeBehavior, status: String) async throws {
        try await Self.withFakeAndReceiver { fake, receiver in
            fake.script(number, behavior)
            let call = try await Self.client(fake).createCall(Self.request(to: number, receiver: receiver))
            let events = await receiver.wait { $0.contains { $0.callStatus?.isFinal == true } }
            #expect(events.map { $0.callStatus?.rawValue ?? "-" } == ["initiated", "ringing", status])
            let ended = try #require(await fake.waitUntilEnded(call.sid))
            #expect(ended.status.rawValue == status && ended.said.isEmpty)
            #expect(ended.answeredAt == nil && ended.endedAt.map { $0 >= ended.createdAt } == true)
            if status == "failed" { #expect(events.last?.sipResponseCode == 503) }
        }
    }

    @Test func authenticationInvalidNumbersAndRateLimits() async throws {
        try await Self.withFakeAndReceiver { fake, receiver in
            let wrong = Self.client(fake, credentials: .authToken(accountSID: fake.configuration.accountSID, authToken: "wrong"))
            do throws(TwilioRESTError) {
                _ = try await wrong.createCall(Self.request(to: "+15558675310", receiver: receiver))
                Issue.record("wrong token accepted")
            } catch {
                guard case .authenticationFailed(let api) = error else { Issue.record("got \(error)"); return }
                #expect(api.code == 20003)
            }
            let key = Self.client(fake, credentials: .apiKey(accountSID: fake.configuration.accountSID, keySID: "SK" + String(repeating: "1", count: 32), secret: "key-secret"))
            _ = try await key.createCall(Self.request(to: "+15558675310", receiver: receiver))

            fake.script("+15559999999", .invalidNumber(code: 21211))
            do throws(TwilioRESTError) {
                _ = try await key.createCall(Self.request(to: "+15559999999", receiver: receiver))
                Issue.record("invalid number accepted")
            } catch {
                guard case .invalidNumber = error else { Issue.record("got \(error)"); return }
                #expect(error.twilioCode == 21211 && !error.isRetryable)
            }

            fake.rateLimitNext(2, retryAfter: "3")
            for _ in 0..<2 {
                do throws(TwilioRESTError) {
                    _ = try await key.createCall(Self.request(to: "+15558675310", receiver: receiver))
                    Issue.record("rate limit not applied")
                } catch {
                    #expect(error.twilioCode == 20429 && error.retryAfter == .seconds(3) && error.isRetryable)
                }
            }
            _ = try await key.createCall(Self.request(to: "+15558675310", receiver: receiver))
            let statuses = fake.requests.map(\.responseStatus)
            #expect(statuses == [401, 201, 400, 429, 429, 201])
            #expect(fake.calls.count == 2)
        }
    }

    @Test func aMachineWithDetectionReportsAnsweredByInTheAnsweredCallbackAndTheAMDCallback() async throws {
        try await Self.withFakeAndReceiver { fake, receiver in
            fake.script("+15550000010", .machine(.machineEndBeep))
            var sync = Self.request(to: "+15550000010", receiver: receiver)
            sync.machineDetection = .detectMessageEnd
            let first = try await Self.client(fake).createCall(sync)
            var asyncRequest = Self.request(to: "+15550000010", receiver: receiver)
            asyncRequest.machineDetection = .enable
            asyncRequest.asyncAMD = true
            asyncRequest.asyncAMDStatusCallback = receiver.publicBaseURL + "/amd"
            let second = try await Self.client(fake).createCall(asyncRequest)
            let events = await receiver.wait { events in events.filter { $0.callStatus == .completed }.count == 2 }
            #expect(events.first { $0.callSID == first.sid && $0.callStatus == .inProgress }?.answeredBy == .machineEndBeep)
            #expect(events.first { $0.callSID == second.sid && $0.callStatus == .inProgress }?.answeredBy == nil)
            let amd = try #require(events.first { $0.callSID == second.sid && $0.isMachineDetectionResult })
            #expect(amd.answeredBy == .machineStart && amd.machineDetectionDurationMs == 2100)
            #expect(fake.maximumLiveCallCount == 2)
        }
    }
}
