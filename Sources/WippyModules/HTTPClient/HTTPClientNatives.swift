import Synchronization
import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// The functions of the `http_client` module (lua-api-io §3.1). Every request suspends the calling task
/// while async-http-client works on its event loops, and resumes it on its worker with `Response, nil` or
/// `nil, err`.
enum HTTPClientNatives {
    static let functions: [(String, LuaNativeFunction)] = [
        ("get", get), ("post", post), ("put", put), ("delete", delete), ("head", head), ("patch", patch),
        ("request", request), ("request_batch", HTTPClientBatch.requestBatch), ("encode_uri", encodeURI), ("decode_uri", decodeURI),
    ]

    static let get: LuaNativeFunction = { state in send(Lua(state!), method: "GET") }
    static let post: LuaNativeFunction = { state in send(Lua(state!), method: "POST") }
    static let put: LuaNativeFunction = { state in send(Lua(state!), method: "PUT") }
    static let delete: LuaNativeFunction = { state in send(Lua(state!), method: "DELETE") }
    static let head: LuaNativeFunction = { state in send(Lua(state!), method: "HEAD") }
    static let patch: LuaNativeFunction = { state in send(Lua(state!), method: "PATCH") }

    /// `http_client.request(method, url, options?)`.
    static let request: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .string, let method = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        guard !method.isEmpty else { return lua.argumentError(1, "method must not be empty") }
        return send(lua, method: method, urlAt: 2)
    }

    /// `get(url, options?)` and friends: the URL at `urlAt`, the options after it.
    static func send(_ lua: Lua, method: String, urlAt index: Int32 = 1) -> Int32 {
        guard lua.type(at: index) == .string, let url = lua.string(at: index) else { return lua.typeError(index, expected: "string") }
        guard !url.isEmpty else { return lua.argumentError(index, "URL must not be empty") }
        let request: OutboundRequest
        switch HTTPClientOptions.request(method: method, url: url, options: index + 1, in: lua) {
        case .success(let value): request = value
        case .failure(.raise(let message)): return lua.argumentError(index + 1, message)
        case .failure(.fail(let error)): return LuaWorkerState.of(lua).fail(error, on: lua)
        }
        let worker = LuaWorkerState.of(lua)
        return SQLCall.run(lua, needsProcess: "http_client: a request needs a running process") { completion in
            OutboundHTTPClient.shared.send(request, completion: completion)
        } push: { thread, response in
            push(response, on: thread, state: worker)
            thread.pushNil()
            return 2
        }
    }

    /// The Response table: `status_code`, `url`, `body` (absent when empty), `body_size` (-1 when streaming),
    /// `headers` (canonical name → first value; absent when none), `cookies` (absent when none), `stream`.
    static func push(_ response: OutboundResponse, on lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 7)
        lua.push(Int64(response.status))
        lua.rawSet(-2, key: "status_code")
        lua.push(response.url)
        lua.rawSet(-2, key: "url")
        if let stream = response.stream {
            RetainedObject.push(stream, tag: ModuleTags.httpClientStream, userValues: 0, state: state, on: lua)
            lua.rawSet(-2, key: "stream")
            lua.push(Int64(-1))
        } else {
            if !response.body.isEmpty {
                lua.push(bytes: response.body)
                lua.rawSet(-2, key: "body")
            }
            lua.push(Int64(response.body.count))
        }
        lua.rawSet(-2, key: "body_size")
        var seen: Set<String> = []
        var headers: [(String, String)] = []
        var cookies: [(String, String)] = []
        for (name, value) in response.headers {
            let canonical = HeaderName.canonical(name)
            if seen.insert(canonical).inserted { headers.append((canonical, value)) }
            if canonical == "Set-Cookie", let cookie = cookie(value), !cookies.contains(where: { $0.0 == cookie.0 }) {
                cookies.append(cookie)
            }
        }
        for (key, pairs) in [("headers", headers), ("cookies", cookies)] where !pairs.isEmpty {
            lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(pairs.count))
            for (name, value) in pairs {
                lua.push(value)
                lua.rawSet(-2, key: name)
            }
            lua.rawSet(-2, key: key)
        }
    }

    /// The name and value of a `Set-Cookie` header (`name=value; Path=/...`); nil when it has no name.
    static func cookie(_ header: String) -> (String, String)? {
        let first = header.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard let equals = first.firstIndex(of: "=") else { return nil }
        let name = first[..<equals].trimmingSpaces
        var value = first[first.index(after: equals)...].trimmingSpaces
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        return name.isEmpty ? nil : (name, value)
    }

    /// `http_client.encode_uri(s)`: form-style escaping (space ⇒ `+`).
    static let encodeURI: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let text = lua.stringCoercing(at: 1) else { return lua.typeError(1, expected: "string") }
        lua.push(FormEncoding.escape(text))
        return 1
    }

    /// `http_client.decode_uri(s)`: the unescaped string, or `nil, err` (`Invalid`) for a malformed escape.
    static let decodeURI: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let text = lua.stringCoercing(at: 1) else { return lua.typeError(1, expected: "string") }
        do throws(WippyError) {
            lua.push(try FormEncoding.unescape(text))
            return 1
        } catch {
            return LuaWorkerState.of(lua).fail(error, on: lua)
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
