/// A small multipart/form-data body builder (RFC 7578) for the transcription upload.
struct MultipartFormData: Sendable {
    let boundary: String
    private(set) var bytes: [UInt8] = []

    init(boundary: String) {
        self.boundary = boundary
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Adds a text field.
    mutating func addField(name: String, value: String) {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n")
        append(value)
        append("\r\n")
    }

    /// Adds a file field.
    mutating func addFile(name: String, filename: String, contentType: String, data: [UInt8]) {
        append("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n")
        bytes.append(contentsOf: data)
        append("\r\n")
    }

    /// Closes the body; returns the finished bytes.
    mutating func finish() -> [UInt8] {
        append("--\(boundary)--\r\n")
        return bytes
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }
}
