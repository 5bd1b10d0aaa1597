import Foundation
import TwilioMediaStreams

private let token = "0123456789abcdef0123456789abcdef"
private let validator = TwilioSignatureValidator(authToken: token)
private let streamKey = StreamTokenKey(authToken: token)

/// libFuzzer entry: the TwiML webhook's inputs. The input is split on the first two NUL bytes
/// into a request target, a form body and a signature header; it goes through the form
/// parser, the forwarded-header helpers, URL rebuilding, signature validation (form and
/// JSON-body variants), the stream-token check with the parsed parameters, the SID shape
/// checks, and TwiML generation with the parsed values.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTwilioForm(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    let target = parts[0]
    let body = parts.count > 1 ? parts[1] : ""
    let signature = parts.count > 2 ? parts[2] : nil

    let form = TwilioSignatureValidator.formParameters(urlEncoded: body)
    let host = TwilioSignatureValidator.firstForwardedValue(form["Host"]?.first) ?? "example.com"
    let url = TwilioSignatureValidator.webSocketURL(scheme: form["Proto"]?.first ?? "https", host: host, requestTarget: target)
    _ = validator.isValid(signature: signature, url: url, parameters: form)
    _ = validator.isValid(signature: signature, url: target, body: Array(body.utf8))
    _ = try? validator.validateWebSocketUpgrade(signature: signature, url: url)
    // A valid signature over the fuzzed URL and form must validate (the signer and the checker agree).
    precondition(validator.isValid(signature: validator.signature(url: url, parameters: form), url: url, parameters: form),
                 "a signature made by the validator must validate")

    let callSid = form["CallSid"]?.first ?? ""
    let accountSid = form["AccountSid"]?.first ?? ""
    _ = TwilioSID.isValid(callSid, kind: .call)
    _ = TwilioSID.isValid(accountSid, kind: .account)
    var parameters: [String: String] = [:]
    for (name, values) in form { parameters[name] = values.first }
    _ = try? streamKey.verify(signature, callSid: callSid, accountSid: accountSid, botID: target,
                              parameters: parameters, now: 1_700_000_000)

    let twiml = TwiMLStreamResponse(
        streamURL: TwiMLStreamResponse.streamURL(host: host, botId: target),
        parameters: form.map { TwiMLStreamResponse.Parameter(name: $0.key, value: $0.value.first ?? "") },
        sayBeforeConnect: signature)
    _ = try? twiml.xml()
    return 0
}
