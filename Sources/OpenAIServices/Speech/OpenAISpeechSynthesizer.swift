import CallAudio
import AsyncHTTPClient
import Foundation
import Logging
import SpeechServices

/// Streamed speech through `POST /audio/speech` with `response_format: pcm`
/// (24 kHz, 16-bit little-endian, mono). Chunks are handed on as they arrive, each
/// trimmed to whole samples (an odd trailing byte waits for the next buffer).
///
/// Bounded: a non-audio content type, or more audio than
/// ``OpenAIConfiguration/maxSpeechBytes(characters:speed:)`` allows for the input, fails as a
/// malformed response (never retried once audio was handed on).
public struct OpenAISpeechSynthesizer: TextToSpeech {
    let transport: OpenAITransport

    /// OpenAI's limit on `input`.
    public static let maxInputCharacters = 4096

    /// Content types accepted as audio: `audio/*` and `application/octet-stream` (OpenAI's).
    /// Anything else (a `200` with an HTML error page from a proxy) fails as a malformed
    /// response before a byte is played. A response without a content type is accepted.
    public static let acceptedContentTypes = ["audio/", "application/octet-stream", "binary/octet-stream"]

    /// `openai` / the speech model.
    public var descriptor: ProviderDescriptor {
        ProviderDescriptor(name: transport.configuration.providerName, model: transport.configuration.speechModel)
    }

    /// Always 24 kHz PCM16 mono.
    public func outputFormat(for request: SpeechSynthesisRequest) -> AudioFormat { .pcm24k }

    /// The request's voice or the configured default.
    public func resolvedVoice(for request: SpeechSynthesisRequest) -> String { request.voice ?? transport.configuration.speechVoice }

    /// Streams PCM for `request`.
    public func synthesize(_ request: SpeechSynthesisRequest, context: ProviderCallContext) -> ProviderStream<AudioChunk> {
        let transport = self.transport
        let voice = resolvedVoice(for: request)
        return ProviderStream(provider: transport.provider) { continuation throws(ProviderError) in
            let configuration = transport.configuration
            guard request.text.count <= Self.maxInputCharacters else {
                throw ProviderError(
                    .inputTooLarge, provider: transport.provider,
                    message: "speech input of \(request.text.count) characters exceeds \(Self.maxInputCharacters)"
                )
            }
            let body = try Self.encode(request, voice: voice, configuration: configuration, provider: transport.provider)
            let response = try await transport.post(
                path: "/audio/speech", contentType: "application/json", body: body, accept: "application/octet-stream", logger: context.logger
            )
            try transport.requireContentType(response, accepted: Self.acceptedContentTypes, path: "/audio/speech")
            let maxBytes = configuration.maxSpeechBytes(characters: request.text.count, speed: request.speed ?? configuration.speechSpeed)
            var received = 0
            var carry: UInt8?
            do {
                for try await buffer in response.body {
                    received += buffer.readableBytes
                    guard received <= maxBytes else {
                        context.logger.warning(
                            "speech stream exceeds its size limit; stopped",
                            metadata: ["limit_bytes": "\(maxBytes)", "characters": "\(request.text.count)"]
                        )
                        throw ProviderError(
                            .malformedResponse, provider: transport.provider,
                            message: "speech audio exceeds \(maxBytes) bytes for \(request.text.count) characters of input"
                        )
                    }
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(buffer.readableBytes + 1)
                    if let pending = carry { bytes.append(pending) }
                    bytes.append(contentsOf: buffer.readableBytesView)
                    carry = bytes.count % 2 == 1 ? bytes.removeLast() : nil
                    if !bytes.isEmpty { continuation.yield(AudioChunk(format: .pcm24k, bytes: bytes)) }
                }
            } catch let error as ProviderError {
                throw error
            } catch {
                throw OpenAIErrorMapper.transportError(error, provider: transport.provider, apiKey: configuration.apiKey)
            }
            if carry != nil {
                context.logger.debug("speech stream ended with half a sample; dropped it")
            }
        }
    }

    /// The `/audio/speech` request body.
    private struct Body: Encodable {
        var model: String
        var input: String
        var voice: String
        var responseFormat = "pcm"
        var speed: Double?
        var instructions: String?

        enum CodingKeys: String, CodingKey {
            case model, input, voice, speed, instructions
            case responseFormat = "response_format"
        }
    }

    static func encode(
        _ request: SpeechSynthesisRequest, voice: String, configuration: OpenAIConfiguration, provider: String
    ) throws(ProviderError) -> [UInt8] {
        let body = Body(
            model: configuration.speechModel, input: request.text, voice: voice,
            speed: request.speed ?? configuration.speechSpeed, instructions: request.instructions
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(body))
        } catch {
            // Only a non-finite speed fails to encode.
            throw ProviderError(.invalidRequest, provider: provider, message: "speech request cannot be encoded: \(error)")
        }
    }
}
