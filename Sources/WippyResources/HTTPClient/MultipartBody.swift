/// A `multipart/form-data` body: the form fields (sorted by name), then the files, each part typed
/// `application/octet-stream` (what `http_client` sends whatever `content_type` says).
public struct MultipartBody: Sendable {
    public struct File: Sendable {
        public var field: String
        public var filename: String
        public var content: [UInt8]

        public init(field: String, filename: String, content: [UInt8]) {
            self.field = field
            self.filename = filename
            self.content = content
        }
    }

    public let boundary: String
    public let bytes: [UInt8]

    public init(fields: [(String, String)], files: [File], boundary: String = MultipartBody.randomBoundary()) {
        self.boundary = boundary
        var out: [UInt8] = []
        func line(_ text: String) { out.append(contentsOf: Array(text.utf8) + [13, 10]) }
        for (name, value) in fields.sorted(by: { $0.0 < $1.0 }) {
            line("--\(boundary)")
            line("Content-Disposition: form-data; name=\"\(Self.quoted(name))\"")
            line("")
            line(value)
        }
        for file in files {
            line("--\(boundary)")
            line("Content-Disposition: form-data; name=\"\(Self.quoted(file.field))\"; filename=\"\(Self.quoted(file.filename))\"")
            line("Content-Type: application/octet-stream")
            line("")
            out.append(contentsOf: file.content)
            out.append(contentsOf: [13, 10])
        }
        line("--\(boundary)--")
        bytes = out
    }

    /// 30 random hex digits, like common multipart writers.
    public static func randomBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<30).map { _ in String(Int.random(in: 0..<16, using: &generator), radix: 16) }.joined()
    }

    static func quoted(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "\\" || character == "\"" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
