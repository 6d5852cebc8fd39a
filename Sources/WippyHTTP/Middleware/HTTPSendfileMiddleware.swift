public import Hummingbird
public import HummingbirdCore
import HTTPTypes

/// `sendfile` (lua-api-io §1.5): when the handler answers with `X-Sendfile` (or the legacy `X-File-Path`),
/// the response becomes that file of the configured `fs.directory` (with `Range` support, confined to the
/// directory); `X-File-Name` becomes `Content-Disposition: attachment`. Other headers the handler set stay.
public struct HTTPSendfileMiddleware: HTTPMiddleware {
    let files: HTTPStaticFiles?
    let directory: String

    /// `files` is `nil` when `sendfile.fs` names no directory (a request that asks for a file then gets 500).
    public init(files: HTTPStaticFiles?, directory: String) {
        self.files = files
        self.directory = directory
    }

    static let sendfile = HTTPField.Name("X-Sendfile")!
    static let filePath = HTTPField.Name("X-File-Path")!
    static let fileName = HTTPField.Name("X-File-Name")!

    public func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
        let response = try await next(request, context)
        guard let path = response.headers[Self.sendfile] ?? response.headers[Self.filePath] else { return response }
        guard let files else {
            return .plainText(.internalServerError, "sendfile: option sendfile.fs names no fs.directory (\"\(directory)\")")
        }
        var served = await files.respond(toFile: path, request: request, context: context)
        for field in response.headers {
            switch field.name {
            case Self.sendfile, Self.filePath, Self.fileName, .contentLength, .contentType, .contentRange, .lastModified, .acceptRanges:
                continue
            default:
                served.headers.append(field)
            }
        }
        if let name = response.headers[Self.fileName], served.status.code < 300 {
            let quoted = name.replacingOccurrences("\"", "\\\"")
            served.headers[.contentDisposition] = "attachment; filename=\"\(quoted)\""
        }
        return served
    }
}
