/// Twilio's error body: `{"code":21211,"message":"…","more_info":"https://…","status":400}`.
public struct TwilioAPIError: Sendable, Hashable, Decodable, CustomStringConvertible {
    /// Twilio's error code (`20003`, `20404`, `21211`, `20429`, …).
    public var code: Int?
    /// The message (at most 500 characters kept).
    public var message: String
    /// The HTTP status Twilio repeats in the body.
    public var status: Int?
    /// `more_info`: the error's documentation page.
    public var moreInfo: String?

    /// Creates an error body.
    public init(code: Int?, message: String, status: Int?, moreInfo: String? = nil) {
        self.code = code
        self.message = String(message.prefix(500))
        self.status = status
        self.moreInfo = moreInfo.map { String($0.prefix(200)) }
    }

    private enum CodingKeys: String, CodingKey {
        case code, message, status, detail, title
        case moreInfo = "more_info"
    }

    /// Decodes the 2010 shape, or the newer RFC 9457 one (`title`/`detail`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let message = try c.decodeIfPresent(String.self, forKey: .message)
            ?? c.decodeIfPresent(String.self, forKey: .detail)
            ?? c.decodeIfPresent(String.self, forKey: .title)
            ?? ""
        self.init(
            code: try? c.decodeIfPresent(Int.self, forKey: .code),
            message: message,
            status: try? c.decodeIfPresent(Int.self, forKey: .status),
            moreInfo: try? c.decodeIfPresent(String.self, forKey: .moreInfo)
        )
    }

    public var description: String {
        "\(code.map(String.init) ?? "-"): \(message)"
    }
}
