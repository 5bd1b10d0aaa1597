import CallEngine
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import TwilioMediaStreams

/// Runs one Twilio media stream: parses each inbound text frame with a
/// ``TwilioStreamSession``, creates the ``CallConversation`` on `start`, feeds it audio,
/// mark echoes, DTMF and hang-up, drives the outbound ``TwilioCallTransport`` writer, and
/// always delivers the post-call result, also when the socket dies.
struct TwilioCallBridge: Sendable {
    let botID: String
    let configuration: CallEngineConfiguration
    let providers: CallProviders
    let resultSink: any ResultSink
    let statistics: CallStatistics
    let registry: CallRegistry
    let fleet: FleetMembership?
    let sessionConfiguration: TwilioStreamSessionConfiguration
    let streamAdmission: StreamAdmission
    let logger: Logger

    /// Handles the socket until it closes and the call's result is delivered.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, slot: CallRegistry.Slot) async {
        var logger = self.logger
        logger[metadataKey: "bot_id"] = "\(botID)"
        var session = TwilioStreamSession(configuration: sessionConfiguration, logger: logger)
        let payload = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(sessionConfiguration.maximumPayloadBytes, AudioFrame.capacity))
        payload.initialize(repeating: 0)
        defer { payload.deallocate() }

        await withTaskGroup(of: Void.self) { group in
            var conversation: CallConversation?
            var transport: TwilioCallTransport?
            var stopReceived = false
            var endCallError = false
            var partial: ByteBuffer?
            do {
                frames: for try await frame in inbound {
                    // Reassemble fragmented messages (Twilio sends whole frames; be safe).
                    let message: ByteBuffer
                    switch frame.opcode {
                    case .binary:
                        partial = nil
                        statistics.badMessage(kind: "binary_frame")
                        logger.warning("ignoring binary WebSocket frame")
                        continue frames
                    case .text:
                        guard frame.fin else {
                            partial = frame.data
                            continue frames
                        }
                        message = frame.data
                    case .continuation:
                        guard var buffer = partial else { continue frames }
                        var data = frame.data
                        buffer.writeBuffer(&data)
                        if !frame.fin, buffer.readableBytes <= sessionConfiguration.maximumMessageBytes {
                            partial = buffer
                            continue frames
                        }
                        // Complete, or too long already: the session rejects an oversized message.
                        partial = nil
                        message = buffer
                    }
                    let event = session.receive(message, payloadInto: payload)
                    switch event {
                    case .connected:
                        break
                    case .started(let start):
                        logger[metadataKey: "call_sid"] = "\(start.start.callSid)"
                        if case .failure(let refusal) = streamAdmission.check(start, botID: botID) {
                            await Self.refuseUnauthorized(start, botID: botID, refusal: refusal, sink: resultSink, statistics: statistics, logger: logger)
                            endCallError = true
                            break frames
                        }
                        let identity = CallIdentity(
                            callID: start.start.callSid,
                            streamID: start.streamSid,
                            botID: botID,
                            accountID: start.start.accountSid,
                            from: start.start.customParameters["From"] ?? start.start.customParameters["from"],
                            to: start.start.customParameters["To"] ?? start.start.customParameters["to"],
                            customParameters: start.start.customParameters
                        )
                        let newTransport = TwilioCallTransport(streamSid: start.streamSid, logger: logger)
                        let newConversation = CallConversation(
                            identity: identity,
                            configuration: configuration,
                            providers: providers,
                            transport: newTransport,
                            statistics: statistics,
                            logger: self.logger
                        )
                        registry.attach(newConversation, to: slot)
                        transport = newTransport
                        conversation = newConversation
                        group.addTask {
                            await newTransport.runWriter(
                                write: { buffer in
                                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: buffer)))
                                },
                                close: { try await outbound.close(.normalClosure, reason: nil) }
                            )
                        }
                        let sink = resultSink
                        let callLogger = logger
                        let fleet = self.fleet
                        let reservationID = fleet?.reservationID(in: start.start.customParameters, logger: logger)
                        let callSID = start.start.callSid
                        group.addTask {
                            let result: CallResult
                            if let fleet {
                                result = await fleet.tracking(reservationID: reservationID, callSID: callSID, logger: callLogger) {
                                    await newConversation.run()
                                }
                            } else {
                                result = await newConversation.run()
                            }
                            await Self.deliver(result, to: sink, logger: callLogger)
                        }
                    case .media(let media):
                        guard let conversation else { continue frames }
                        transport?.observeInboundMedia(timestamp: media.timestamp)
                        var offset = 0
                        while offset < media.payloadByteCount {
                            let end = min(offset + AudioFrame.capacity, media.payloadByteCount)
                            do {
                                let audio = try AudioFrame(UnsafeBufferPointer(rebasing: payload[offset..<end]))
                                await conversation.handle(.audio(audio))
                            } catch {
                                statistics.badMessage(kind: "bad_audio")
                                logger.warning("dropping caller audio", metadata: ["error": "\(error)"])
                            }
                            offset = end
                        }
                    case .markEchoed(let name):
                        if let engineName = transport?.markEchoed(name: name) {
                            await conversation?.handle(.markAcknowledged(name: engineName))
                        } else {
                            logger.debug("ignoring echo of an unknown mark", metadata: ["mark": "\(name)"])
                        }
                    case .dtmf(let digit):
                        await conversation?.handle(.dtmf(digit: digit))
                    case .stopped:
                        stopReceived = true
                        await conversation?.handle(.hangUp)
                        break frames
                    case .rejected(let error, let outcome):
                        statistics.badMessage(kind: error.label)
                        if outcome == .endCall {
                            endCallError = true
                            break frames
                        }
                    }
                }
            } catch {
                logger.warning("media stream socket error", metadata: ["error": "\(error)"])
            }

            if let conversation {
                if endCallError {
                    await conversation.endNow(reason: .transportError)
                } else if !stopReceived, await conversation.currentPhase != .ended {
                    statistics.wsDisconnect()
                    logger.warning("media stream closed without stop; ending the call")
                    await conversation.endNow(reason: .transportError)
                }
            } else if endCallError || !stopReceived {
                logger.warning("media stream ended before a call started", metadata: ["stop_received": "\(stopReceived)"])
            }
            if endCallError {
                try? await outbound.close(.policyViolation, reason: "malformed media stream")
            }
            // Let the writer finish a pending hang-up, then release it.
            if let transport {
                if endCallError || stopReceived || conversation == nil { transport.close() }
            }
            await waitForCall(group: &group, transport: transport)
        }
        registry.release(slot)
    }

    private func waitForCall(group: inout TaskGroup<Void>, transport: TwilioCallTransport?) async {
        // The run task ends once the conversation has ended and its result is delivered;
        // then the writer is no longer needed.
        var remaining = 2
        while remaining > 0, await group.next() != nil {
            remaining -= 1
            transport?.close()
        }
        await group.waitForAll()
    }

    /// Delivers a result in an unstructured task so a cancelled call still reaches the
    /// webhook or the spool.
    static func deliver(_ result: CallResult, to sink: any ResultSink, logger: Logger) async {
        let task = Task {
            do {
                try await sink.deliver(result)
            } catch {
                logger.error("post-call result could not be delivered or spooled", metadata: ["error": "\(error)"])
            }
        }
        await task.value
    }
}
