import Foundation
import Hummingbird
import NIOCore
import SpeechServices

// The wire server's answers: request validation, success bodies and error bodies.
extension OpenAIWireServer {
    func validate(endpoint: WireEndpoint, recorded: RecordedRequest, formError: String?) -> (status: Int, message: String)? {
        switch endpoint {
        case .transcriptions:
            if let formError { return (400, formError) }
            if recorded.body.count > maxUploadBytes { return (413, "Maximum content size limit (\(maxUploadBytes)) exceeded.") }
            guard let file = recorded.formFields["file"] else { return (400, "Missing required parameter: 'file'.") }
            guard let model = recorded.formFields["model"], !model.data.isEmpty else { return (400, "Missing required parameter: 'model'.") }
            let isWAV = file.data.count >= 12 && file.data[0..<4].elementsEqual("RIFF".utf8) && file.data[8..<12].elementsEqual("WAVE".utf8)
            if !isWAV { return (400, "Invalid file format. The file is not a valid WAV file.") }
            return nil
        case .chatCompletions:
            guard let json = recorded.json else { return (400, "We could not parse the JSON body of your request.") }
            guard json["model"] is String else { return (400, "you must provide a model parameter") }
            guard let messages = json["messages"] as? [[String: Any]], !messages.isEmpty else { return (400, "Missing required parameter: 'messages'.") }
            return nil
        case .speech:
            guard let json = recorded.json else { return (400, "We could not parse the JSON body of your request.") }
            guard json["model"] is String, json["voice"] != nil else { return (400, "Missing required parameter: 'model' or 'voice'.") }
            guard let input = json["input"] as? String, !input.isEmpty else { return (400, "Missing required parameter: 'input'.") }
            if input.count > 4096 { return (400, "Input is longer than 4096 characters.") }
            if let format = json["response_format"] as? String, format != "pcm" {
                return (400, "This wire server only produces response_format 'pcm', not '\(format)'.")
            }
            return nil
        case .models:
            return nil
        }
    }

    func successParts(endpoint: WireEndpoint, body: WireBehavior.Body, recorded: RecordedRequest, requestNumber: Int) -> (String, [[UInt8]]) {
        switch (endpoint, body) {
        case (_, .rawEvents(let payloads)):
            return ("text/event-stream", payloads.map { Array("data: \($0)\n\n".utf8) })
        case (.chatCompletions, .chat(let script)):
            return chatParts(script, recorded: recorded, requestNumber: requestNumber)
        case (.chatCompletions, _):
            return chatParts(defaults.chat, recorded: recorded, requestNumber: requestNumber)
        case (.speech, .speech(let pcm, let chunkBytes)):
            return ("application/octet-stream", split(pcm, chunkBytes: chunkBytes))
        case (.speech, _):
            let input = recorded.json?["input"] as? String ?? ""
            let milliseconds = max(200, input.count * defaults.speechMillisecondsPerCharacter)
            let pcm = ToneGenerator.pcm16(frequency: 440, milliseconds: milliseconds, sampleRate: 24_000)
            return ("application/octet-stream", split(pcm, chunkBytes: defaults.speechChunkBytes))
        case (.transcriptions, .transcription(let text)):
            return ("application/json", [transcriptionJSON(text)])
        case (.transcriptions, _):
            return ("application/json", [transcriptionJSON(defaults.transcript)])
        case (.models, _):
            return ("application/json", [Array("{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o-mini\",\"object\":\"model\",\"created\":1721172741,\"owned_by\":\"system\"}]}".utf8)])
        }
    }

    func chatParts(_ script: ChatScript, recorded: RecordedRequest, requestNumber: Int) -> (String, [[UInt8]]) {
        let json = recorded.json
        let model = json?["model"] as? String ?? "gpt-4o-mini"
        let includeUsage = (json?["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false
        let payloads = script.eventPayloads(model: model, includeUsage: includeUsage, requestNumber: requestNumber)
        return ("text/event-stream", payloads.map { Array("data: \($0)\n\n".utf8) })
    }

    func transcriptionJSON(_ text: String) -> [UInt8] {
        Array("{\"text\":\(JSONText.string(text)),\"usage\":{\"type\":\"duration\",\"seconds\":1}}".utf8)
    }

    func split(_ bytes: [UInt8], chunkBytes: Int) -> [[UInt8]] {
        let size = max(1, chunkBytes)
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    func errorResponse(
        status: Int, type: String, code: String?, message: String, requestID: String, extraHeaders: [(String, String)] = []
    ) -> Response {
        let body = "{\"error\":{\"message\":\(JSONText.string(message)),\"type\":\(JSONText.string(type)),\"param\":null,\"code\":\(code.map(JSONText.string) ?? "null")}}"
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        Self.add(extraHeaders + [("x-request-id", requestID)], to: &fields)
        return Response(status: .init(code: status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    func streamedResponse(status: Int, contentType: String, parts: WireParts, behavior: WireBehavior, headers: [(String, String)]) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = contentType
        Self.add(headers, to: &fields)
        let gate = stallGate
        return Response(
            status: .init(code: status),
            headers: fields,
            body: ResponseBody { writer in
                if behavior.firstPartDelay > .zero { try await gate.pause(behavior.firstPartDelay) }
                var index = -1
                while true {
                    index += 1
                    guard let part = parts.part(index) else { break }
                    // An endless answer ends at shutdown even if the client keeps reading.
                    if parts.count == nil, gate.isReleased { throw ServerError.injectedReset }
                    if index == behavior.interruptAfterParts {
                        if let signal = behavior.interruptWhen { await signal.wait(orUntil: gate) }
                        switch behavior.interruption {
                        case .reset:
                            throw ServerError.injectedReset
                        case .stall:
                            await gate.wait()
                            throw ServerError.injectedReset
                        case .endCleanly:
                            try await writer.finish(nil)
                            return
                        case .truncateMidPart:
                            try await writer.write(ByteBuffer(bytes: part.prefix(max(1, part.count / 2))))
                            try await writer.finish(nil)
                            return
                        }
                    }
                    if index > 0, behavior.partInterval > .zero { try await gate.pause(behavior.partInterval) }
                    try await writer.write(ByteBuffer(bytes: part))
                }
                if let after = behavior.interruptAfterParts, let count = parts.count, after >= count, behavior.interruption == .stall {
                    await gate.wait()
                    throw ServerError.injectedReset
                }
                try await writer.finish(nil)
            }
        )
    }

    static func add(_ headers: [(String, String)], to fields: inout HTTPFields) {
        for (name, value) in headers {
            if let fieldName = HTTPFields.Element.Name(name) { fields.append(HTTPFields.Element(name: fieldName, value: value)) }
        }
    }
}
