import Foundation

/// A request the wire server received, for assertions.
public struct RecordedRequest: Sendable {
    /// Which endpoint it hit.
    public var endpoint: WireEndpoint
    /// Header fields, names lowercased (repeated fields joined with `, `).
    public var headers: [String: String]
    /// The raw body.
    public var body: [UInt8]
    /// Multipart form fields by name (for transcriptions).
    public var formFields: [String: MultipartPart]
    /// The client's TCP port: requests with the same port came over the same connection.
    public var remotePort: Int?

    /// The body parsed as a JSON object, if it is one.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// One part of a multipart/form-data body.
public struct MultipartPart: Sendable, Equatable {
    /// The field name.
    public var name: String
    /// The file name, for file parts.
    public var filename: String?
    /// The part's content type, if given.
    public var contentType: String?
    /// The part's bytes.
    public var data: [UInt8]

    /// The bytes as UTF-8 text.
    public var text: String { String(decoding: data, as: UTF8.self) }
}
