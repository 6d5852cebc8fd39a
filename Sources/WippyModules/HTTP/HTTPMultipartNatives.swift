import WippyCore
import WippyHTTP
import WippyLua
import WippyRuntime

/// `req:parse_multipart(max_memory?)` and the MultipartFile methods (lua-api-io §2.2): the body is parsed
/// while it arrives (the process suspended), files past `max_memory` (32 MiB) go to temporary files that
/// are removed when the request ends.
enum HTTPMultipartNatives {
    static let fileMethods: [(String, LuaNativeFunction)] = [("name", name), ("size", size), ("header", header), ("stream", stream)]
    static let defaultMaxMemory = 32 << 20

    /// `req:parse_multipart(max_memory?)` → `{files = {field = {MultipartFile...}}, values = {field = string
    /// or {string...}}}`; `Invalid` when the body is not `multipart/form-data`, `Internal` when it is malformed.
    static let parse: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return HTTPRequestNatives.with(lua) { handle, head in
            let worker = LuaWorkerState.of(lua)
            var maxMemory = defaultMaxMemory
            if !lua.isNil(at: 2) {
                switch lua.integerArgument(2) {
                case .success(let value): if value > 0 { maxMemory = Int(value) }
                case .failure(let early): return early.status
                }
            }
            guard (head.header("Content-Type") ?? "").lowercased().hasPrefix("multipart/form-data") else {
                return worker.fail(.invalid("request Content-Type isn't multipart/form-data"), on: lua)
            }
            return SQLCall.run(lua, needsProcess: "req:parse_multipart needs a running process") { completion in
                handle.exchange.parseMultipart(maxMemory: maxMemory, limit: handle.maxBody, timeout: handle.timeout, completion: completion)
            } push: { thread, form in
                push(form, on: thread, state: worker)
                thread.pushNil()
                return 2
            }
        }
    }

    static func push(_ form: MultipartForm, on lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
        var fields: [String] = []
        for file in form.files where !fields.contains(file.field) { fields.append(file.field) }
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(fields.count))
        for field in fields {
            let files = form.files.filter { $0.field == field }
            lua.newTable(arrayCapacity: Int32(files.count), fieldCapacity: 0)
            for (index, file) in files.enumerated() {
                RetainedObject.push(file, tag: ModuleTags.httpMultipartFile, userValues: 0, state: state, on: lua)
                lua.rawSet(-2, index: Int64(index + 1))
            }
            lua.rawSet(-2, key: field)
        }
        lua.rawSet(-2, key: "files")
        guard !form.values.isEmpty else { return }
        var names: [String] = []
        for (name, _) in form.values where !names.contains(name) { names.append(name) }
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(names.count))
        for name in names {
            let values = form.values.filter { $0.0 == name }.map(\.1)
            if values.count == 1 {
                lua.push(values[0])
            } else {
                lua.newTable(arrayCapacity: Int32(values.count), fieldCapacity: 0)
                for (index, value) in values.enumerated() {
                    lua.push(value)
                    lua.rawSet(-2, index: Int64(index + 1))
                }
            }
            lua.rawSet(-2, key: name)
        }
        lua.rawSet(-2, key: "values")
    }

    static func file(_ lua: Lua, _ method: String) -> Result<MultipartFile, EarlyReturn> {
        guard let file = RetainedObject.object(at: 1, tag: ModuleTags.httpMultipartFile, in: lua, as: MultipartFile.self) else {
            return .failure(EarlyReturn(status: lua.raise("MultipartFile: \(method) must be called on a MultipartFile (use f:\(method)(...))")))
        }
        return .success(file)
    }

    static let name: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = file(lua, "name")
        guard case .success(let file) = parsed else { return parsed.status }
        lua.push(file.filename)
        return 1
    }

    static let size: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = file(lua, "size")
        guard case .success(let file) = parsed else { return parsed.status }
        lua.push(Int64(file.size))
        return 1
    }

    /// `f:header(name)` → the value or nil (a single return).
    static let header: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = file(lua, "header")
        guard case .success(let file) = parsed else { return parsed.status }
        guard let name = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
        if let value = file.header(name) { lua.push(value) } else { lua.pushNil() }
        return 1
    }

    /// `f:stream()` → `Stream, nil` over the file's content.
    static let stream: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = file(lua, "stream")
        guard case .success(let file) = parsed else { return parsed.status }
        RetainedObject.push(file.openStream(), tag: ModuleTags.httpRequestStream, userValues: 0, state: LuaWorkerState.of(lua), on: lua)
        lua.pushNil()
        return 2
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.httpMultipartFile, as: MultipartFile.self)
    }
}
