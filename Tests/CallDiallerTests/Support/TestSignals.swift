import CallResults
import CallTesting
import Foundation
import Synchronization
import TwilioMediaStreams

/// Signs requests the way Twilio and the worker do, for bad-input tests.
enum TwilioSignatureProbe {
    static func sign(url: String, form: String, token: String) -> String {
        TwilioSignatureValidator(authToken: token).signature(url: url, parameters: TwilioSignatureValidator.formParameters(urlEncoded: form))
    }
}

enum ResultSignatureProbe {
    static func header(body: [UInt8], secret: String) -> String {
        ResultSignature.header(body: body, secret: secret, timestamp: Date())
    }
}

