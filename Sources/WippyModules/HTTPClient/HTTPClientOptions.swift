import WippyCodecs
import WippyCore
import WippyLua
import WippyResources

/// Reads the options table of an `http_client` call (lua-api-io §3.1) into an ``WippyResources/OutboundRequest``.
/// A value of the wrong type raises (argument errors); a value of the right type that cannot be used (a bad
/// duration, `tls.server_name`) is returned as an `Invalid` error.
enum HTTPClientOptions {
    /// Why the options cannot be used: raise `message` (a wrong type) or return `error`.
    enum Problem: Error {
        case raise(String)
        case fail(WippyError)
    }

    static func request(method: String, url: String, options index: Int32, in lua: Lua) -> Result<OutboundRequest, Problem> {
        var request = OutboundRequest(method: method.uppercased(), url: url)
        switch lua.type(at: index) {
        case .nil, .none: return .success(request)
        case .table: break
        default: return .failure(.raise("options must be a table (got \(lua.typeName(at: index)))"))
        }
        let options = lua.absolute(index)
        do throws(Problem) {
            var headers = try stringMap(options, "headers", in: lua, valuesMustBeStrings: true)
            let query = try stringMap(options, "query", in: lua)
            if !query.isEmpty { request.url = FormEncoding.url(request.url, setting: query) }
            if let body = try string(options, "body", in: lua) { request.body = body }
            let form = try stringMap(options, "form", in: lua)
            if !form.isEmpty {
                request.body = Array(FormEncoding.encode(form).utf8)
                set(&headers, "Content-Type", "application/x-www-form-urlencoded")
            }
            let files = try self.files(options, in: lua)
            if !files.isEmpty {
                let multipart = MultipartBody(fields: form, files: files)
                request.body = multipart.bytes
                set(&headers, "Content-Type", "multipart/form-data; boundary=\(multipart.boundary)")
            }
            let cookies = try stringMap(options, "cookies", in: lua)
            if !cookies.isEmpty {
                headers.append(("Cookie", cookies.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "; ")))
            }
            if let auth = try credentials(options, in: lua) {
                set(&headers, "Authorization", "Basic " + Base64Codec.encode(Array("\(auth.user):\(auth.pass)".utf8)))
            }
            if let timeout = try timeout(options, in: lua) { request.timeout = timeout }
            if lua.rawGet(options, key: "stream") != .nil { request.stream = lua.bool(at: -1) }
            lua.pop()
            if let limit = try integer(options, "max_response_body", in: lua), limit > 0 { request.maxResponseBody = Int(limit) }
            if let socket = try string(options, "unix_socket", in: lua) {
                request.unixSocket = String(decoding: socket, as: UTF8.self)
            }
            request.tls = try tls(options, in: lua)
            request.headers = headers.map { (name: $0.0, value: $0.1) }
        } catch {
            return .failure(error)
        }
        return .success(request)
    }

    /// Replaces every header named `name` (any case) with one `value`.
    static func set(_ headers: inout [(String, String)], _ name: String, _ value: String) {
        headers.removeAll { $0.0.lowercased() == name.lowercased() }
        headers.append((name, value))
    }

    static func string(_ options: Int32, _ key: String, in lua: Lua) throws(Problem) -> [UInt8]? {
        defer { lua.pop() }
        switch lua.rawGet(options, key: key) {
        case .nil: return nil
        case .string: return lua.bytes(at: -1)
        case .number: return Array((lua.stringCoercing(at: -1) ?? "").utf8)
        default: throw .raise("option \(key) must be a string (got \(lua.typeName(at: -1)))")
        }
    }

    static func integer(_ options: Int32, _ key: String, in lua: Lua) throws(Problem) -> Int64? {
        defer { lua.pop() }
        switch lua.rawGet(options, key: key) {
        case .nil: return nil
        case .number:
            guard let value = lua.integer(at: -1) ?? lua.number(at: -1).map({ Int64(exactly: $0.rounded(.down)) ?? Int64.max }) else {
                throw .raise("option \(key) must be an integer")
            }
            return value
        default: throw .raise("option \(key) must be a number (got \(lua.typeName(at: -1)))")
        }
    }

    /// A table of names to scalars, as pairs in table order; strings only when `valuesMustBeStrings`
    /// (numbers are always accepted and formatted as Lua does).
    static func stringMap(
        _ options: Int32, _ key: String, in lua: Lua, valuesMustBeStrings: Bool = false
    ) throws(Problem) -> [(String, String)] {
        defer { lua.pop() }
        switch lua.rawGet(options, key: key) {
        case .nil: return []
        case .table: break
        default: throw .raise("option \(key) must be a table (got \(lua.typeName(at: -1)))")
        }
        let table = lua.absolute(-1)
        var pairs: [(String, String)] = []
        lua.pushNil()
        while lua.next(table) {
            defer { lua.pop() }
            guard lua.type(at: -2) == .string, let name = lua.string(at: -2) else {
                let type = lua.typeName(at: -2)
                lua.pop()
                throw .raise("option \(key) must map names to values (got a \(type) key)")
            }
            let value: String
            switch lua.type(at: -1) {
            case .string, .number: value = lua.stringCoercing(at: -1) ?? ""
            case .boolean where !valuesMustBeStrings: value = lua.bool(at: -1) ? "true" : "false"
            default:
                let type = lua.typeName(at: -1)
                lua.pop()
                throw .raise("option \(key).\(name) must be a string (got \(type))")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    static func credentials(_ options: Int32, in lua: Lua) throws(Problem) -> (user: String, pass: String)? {
        defer { lua.pop() }
        switch lua.rawGet(options, key: "auth") {
        case .nil: return nil
        case .table: break
        default: throw .raise("option auth must be a table {user=, pass=} (got \(lua.typeName(at: -1)))")
        }
        let table = lua.absolute(-1)
        let user = try string(table, "user", in: lua).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let pass = try string(table, "pass", in: lua).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (user, pass)
    }

    /// Seconds (a number) or a Go duration string (`"10s"`, `"1m30s"`); zero means the default (30 s).
    static func timeout(_ options: Int32, in lua: Lua) throws(Problem) -> Duration? {
        defer { lua.pop() }
        switch lua.rawGet(options, key: "timeout") {
        case .nil: return nil
        case .number:
            let seconds = lua.number(at: -1) ?? 0
            if seconds == 0 { return nil }  // the default
            guard seconds.isFinite, seconds > 0 else { throw .fail(.invalid("timeout must not be negative (got \(seconds))")) }
            return .nanoseconds(Int64(min(seconds, 1e9) * 1e9))
        case .string:
            let text = lua.string(at: -1) ?? ""
            let parsed: GoDuration
            do throws(WippyError) {
                parsed = try GoDuration.parse(text)
            } catch {
                throw .fail(.invalid("invalid timeout \"\(text)\": \(error.message)"))
            }
            if parsed.nanoseconds == 0 { return nil }
            guard parsed.nanoseconds > 0 else { throw .fail(.invalid("timeout must not be negative (got \"\(text)\")")) }
            return .nanoseconds(parsed.nanoseconds)
        default:
            throw .raise("option timeout must be a number of seconds or a duration string (got \(lua.typeName(at: -1)))")
        }
    }

    /// `files`: `{name=, filename=, content=}` entries; those without a name or content are dropped.
    static func files(_ options: Int32, in lua: Lua) throws(Problem) -> [MultipartBody.File] {
        defer { lua.pop() }
        switch lua.rawGet(options, key: "files") {
        case .nil: return []
        case .table: break
        default: throw .raise("option files must be an array of tables (got \(lua.typeName(at: -1)))")
        }
        let table = lua.absolute(-1)
        var files: [MultipartBody.File] = []
        let count = lua.rawLength(at: table)
        if count == 0 { return [] }
        for index in 1...count {
            defer { lua.pop() }
            guard lua.rawGet(table, index: Int64(index)) == .table else {
                throw .raise("option files[\(index)] must be a table (got \(lua.typeName(at: -1)))")
            }
            let entry = lua.absolute(-1)
            let name = try string(entry, "name", in: lua).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let filename = try string(entry, "filename", in: lua).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let content = try string(entry, "content", in: lua) ?? []
            guard !name.isEmpty, !content.isEmpty else { continue }
            files.append(.init(field: name, filename: filename, content: content))
        }
        return files
    }

    /// `tls = {cert=, key=, ca=, insecure_skip_verify=}` (PEM strings); `server_name` is refused (the name
    /// checked is the URL's host).
    static func tls(_ options: Int32, in lua: Lua) throws(Problem) -> OutboundRequest.TLS? {
        defer { lua.pop() }
        switch lua.rawGet(options, key: "tls") {
        case .nil: return nil
        case .table: break
        default: throw .raise("option tls must be a table (got \(lua.typeName(at: -1)))")
        }
        let table = lua.absolute(-1)
        func text(_ key: String) throws(Problem) -> String? {
            try string(table, key, in: lua).map { String(decoding: $0, as: UTF8.self) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if try text("server_name") != nil { throw .fail(.invalid("tls.server_name is not supported")) }
        let insecure = lua.rawGet(table, key: "insecure_skip_verify") != .nil && lua.bool(at: -1)
        lua.pop()
        return OutboundRequest.TLS(
            certificate: try text("cert"), privateKey: try text("key"), certificateAuthorities: try text("ca"),
            insecureSkipVerify: insecure)
    }
}
