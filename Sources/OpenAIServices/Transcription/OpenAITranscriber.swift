import AsyncHTTPClient
import CallAudio
import Foundation
import Logging
import NIOCore
import SpeechServices

/// Speech-to-text through `POST /audio/transcriptions`: uploads the utterance as a
/// PCM16 WAV in a multipart form and reads the JSON answer.
///
/// Uploads above ``OpenAIConfiguration/maxUploadBytes`` (25 MiB by default) fail with
/// ``ProviderError/Kind/inputTooLarge`` before anything is sent.
public struct OpenAITranscriber: SpeechToText {
    let transport: OpenAITransport

    private struct Response: Decodable {
        var text: String
        var language: String?
        var duration: Double?
    }

    /// `openai` / the transcription model.
    public var descriptor: ProviderDescriptor {
        ProviderDescriptor(name: transport.configuration.providerName, model: transport.configuration.transcriptionModel)
    }

    /// Transcribes one utterance.
    public func transcribe(_ request: TranscriptionRequest, context: ProviderCallContext) async throws(ProviderError) -> Transcript {
        let provider = transport.provider
        let configuration = transport.configuration
        let wav: [UInt8]
        do {
            wav = try WAVFile.serialize(pcm16: request.samples, sampleRate: request.sampleRate)
        } catch {
            context.logger.warning("cannot encode utterance as WAV", metadata: ["error": "\(error)"])
            throw ProviderError(.invalidRequest, provider: provider, message: "cannot encode audio as WAV: \(error)")
        }
        var form = MultipartFormData(boundary: "call-pipeline-\(UInt64.random(in: 0...UInt64.max))")
        form.addFile(name: "file", filename: "audio.wav", contentType: "audio/wav", data: wav)
        form.addField(name: "model", value: configuration.transcriptionModel)
        form.addField(name: "response_format", value: "json")
        if let language = request.language { form.addField(name: "language", value: language) }
        if let prompt = request.prompt { form.addField(name: "prompt", value: prompt) }
        let body = form.finish()
        guard body.count <= configuration.maxUploadBytes else {
            context.logger.warning("utterance too large to transcribe", metadata: ["bytes": "\(body.count)", "limit": "\(configuration.maxUploadBytes)"])
            throw ProviderError(
                .inputTooLarge, provider: provider,
                message: "upload of \(body.count) bytes exceeds the \(configuration.maxUploadBytes)-byte transcription limit (\(NetworkNumber.saturatingInt(request.duration)) s of audio)"
            )
        }
        let response = try await transport.post(
            path: "/audio/transcriptions", contentType: form.contentType, body: body, accept: "application/json", logger: context.logger
        )
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: configuration.maxJSONResponseBytes)
        } catch {
            throw OpenAIErrorMapper.transportError(error, provider: provider, apiKey: configuration.apiKey)
        }
        do {
            let decoded = try JSONDecoder().decode(Response.self, from: Data(buffer.readableBytesView))
            // The provider's duration is used only when it is finite and non-negative (and is
            // clamped to a day); otherwise the request's own duration stands.
            let duration = decoded.duration.flatMap { NetworkNumber.nonNegative($0, maximum: 86_400) } ?? request.duration
            let language = decoded.language.map { String($0.prefix(32)) } ?? request.language
            return Transcript(text: decoded.text, language: language, duration: duration)
        } catch {
            throw ProviderError(
                .malformedResponse, provider: provider, message: "transcription response is not the expected JSON",
                requestID: response.headers.first(name: "x-request-id")
            )
        }
    }
}
