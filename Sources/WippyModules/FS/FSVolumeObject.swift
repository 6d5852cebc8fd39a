import WippyCore
import WippyLua
import WippyRuntime
import WippyResources

/// The methods of an `fs` volume (`vol:readfile(path)`, ...): each reads its arguments, then runs the disk
/// work on the blocking pool (``runBlocking(_:failure:work:push:)``).
enum FSVolumeObject {
    static let methods: [(String, LuaNativeFunction)] = [
        ("readfile", readFile), ("read_file", readFile), ("writefile", writeFile), ("write_file", writeFile),
        ("exists", exists), ("isdir", isDirectory), ("stat", stat), ("mkdir", makeDirectory), ("remove", remove),
        ("readdir", readDirectory), ("open", open), ("chdir", changeDirectory), ("pwd", workingDirectory),
    ]

    static let collect: LuaNativeFunction = { state in RetainedObject.release(Lua(state!), tag: ModuleTags.fsVolume, as: FSVolume.self) }

    /// The volume at argument 1 and the path at argument 2, or the status after raising.
    static func arguments(_ lua: Lua, method: String) -> Result<(FSVolume, String), EarlyReturn> {
        guard let volume = RetainedObject.object(at: 1, tag: ModuleTags.fsVolume, in: lua, as: FSVolume.self) else {
            return .failure(EarlyReturn(status: lua.raise("fs: \(method) must be called on an FS object (use vol:\(method)(...))")))
        }
        guard lua.type(at: 2) == .string, let path = lua.string(at: 2) else {
            return .failure(EarlyReturn(status: lua.typeError(2, expected: "string")))
        }
        return .success((volume, path))
    }

    /// Reads the arguments and runs `work(directory, path, cwd)` off the worker.
    static func run<Value: Sendable>(
        _ lua: Lua, _ method: String, failure: FailureShape = .nilError,
        work: @escaping @Sendable (FSDirectory, String, String) throws(WippyError) -> Value, push: @escaping (Lua, Value) -> Int32
    ) -> Int32 {
        switch arguments(lua, method: method) {
        case .failure(let early): return early.status
        case .success(let (volume, path)):
            let (directory, cwd) = (volume.directory, volume.cwd)
            return runBlocking(lua, failure: failure, work: { () throws(WippyError) in try work(directory, path, cwd) }, push: push)
        }
    }

    static let readFile: LuaNativeFunction = { state in
        run(Lua(state!), "readfile", work: { directory, path, cwd throws(WippyError) in try directory.readFile(path, cwd: cwd) }) { lua, bytes in
            lua.push(bytes: bytes)
            return 1
        }
    }

    static let writeFile: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        var mode = FSOpenMode.write
        if !lua.isNil(at: 4) {
            guard lua.type(at: 4) == .string, let text = lua.string(at: 4) else { return lua.typeError(4, expected: "string") }
            guard let given = FSOpenMode(rawValue: text), given != .read else {
                return FailureShape.falseError.push(
                    .invalid("writefile: invalid mode \"\(text)\" (use \"w\", \"a\" or \"wx\")"), worker: worker, on: lua)
            }
            mode = given
        }
        enum Source: Sendable {
            case bytes([UInt8])
            case reader(FSScannerState.Source)
        }
        let source: Source
        if lua.type(at: 3) == .string || lua.type(at: 3) == .number, let bytes = lua.bytes(at: 3) {
            source = .bytes(bytes)
        } else if let handle = RetainedObject.object(at: 3, tag: ModuleTags.fsFile, in: lua, as: FSFileHandle.self) {
            source = .reader(.file(handle.file))
        } else if let stream = RetainedObject.object(at: 3, tag: ModuleTags.execStream, in: lua, as: ExecStreamHandle.self) {
            source = .reader(.stream(stream))
        } else {
            return lua.typeError(3, expected: "string, File or Stream")
        }
        let writeMode = mode
        return run(lua, "writefile", failure: .falseError, work: { directory, path, cwd throws(WippyError) in
            switch source {
            case .bytes(let bytes): try directory.writeFile(path, bytes, mode: writeMode, cwd: cwd)
            case .reader(let reader):
                var bytes: [UInt8] = []
                while true {
                    let chunk = try reader.next()
                    if chunk.isEmpty { break }
                    bytes += chunk
                }
                try directory.writeFile(path, bytes, mode: writeMode, cwd: cwd)
            }
        }) { lua, _ in
            lua.push(true)
            return 1
        }
    }

    static let exists: LuaNativeFunction = { state in
        run(Lua(state!), "exists", work: { directory, path, cwd throws(WippyError) in try directory.exists(path, cwd: cwd) }) { lua, found in
            lua.push(found)
            return 1
        }
    }

    static let isDirectory: LuaNativeFunction = { state in
        run(Lua(state!), "isdir", work: { directory, path, cwd throws(WippyError) in try directory.isDirectory(path, cwd: cwd) }) { lua, isDir in
            lua.push(isDir)
            return 1
        }
    }

    static let stat: LuaNativeFunction = { state in
        run(Lua(state!), "stat", work: { directory, path, cwd throws(WippyError) in try directory.status(path, cwd: cwd) }) { lua, info in
            push(info, on: lua)
            return 1
        }
    }

    /// `{name, size, mode, modified, is_dir, type}`.
    static func push(_ info: FSStat, on lua: Lua) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 6)
        lua.push(info.name)
        lua.rawSet(-2, key: "name")
        lua.push(info.size)
        lua.rawSet(-2, key: "size")
        lua.push(info.mode)
        lua.rawSet(-2, key: "mode")
        lua.push(info.modified)
        lua.rawSet(-2, key: "modified")
        lua.push(info.isDirectory)
        lua.rawSet(-2, key: "is_dir")
        lua.push(info.isDirectory ? "directory" : "file")
        lua.rawSet(-2, key: "type")
    }

    static let makeDirectory: LuaNativeFunction = { state in
        run(Lua(state!), "mkdir", failure: .falseError, work: { directory, path, cwd throws(WippyError) in
            try directory.makeDirectory(path, cwd: cwd)
        }) { lua, _ in
            lua.push(true)
            return 1
        }
    }

    static let remove: LuaNativeFunction = { state in
        run(Lua(state!), "remove", failure: .falseError, work: { directory, path, cwd throws(WippyError) in
            try directory.remove(path, cwd: cwd)
        }) { lua, _ in
            lua.push(true)
            return 1
        }
    }

    /// `vol:readdir(path)` → an iterator and its state for a generic `for`, yielding `{name, type}`.
    static let readDirectory: LuaNativeFunction = { state in
        run(Lua(state!), "readdir", work: { directory, path, cwd throws(WippyError) in
            try directory.readDirectory(path, cwd: cwd).map { DirectoryItem(name: $0.name, isDirectory: $0.isDirectory) }
        }) { lua, items in
            lua.push(native: nextItem)
            lua.newTable(arrayCapacity: Int32(min(items.count, 1 << 20)), fieldCapacity: 1)
            for (index, item) in items.enumerated() {
                lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
                lua.push(item.name)
                lua.rawSet(-2, key: "name")
                lua.push(item.isDirectory ? "directory" : "file")
                lua.rawSet(-2, key: "type")
                lua.rawSet(-2, index: Int64(index + 1))
            }
            lua.push(Int64(0))
            lua.rawSet(-2, key: "position")
            return 2
        }
    }

    struct DirectoryItem: Sendable {
        let name: String
        let isDirectory: Bool
    }

    /// The readdir iterator: the next item of the state table, nil at the end.
    static let nextItem: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        lua.rawGet(1, key: "position")
        let position = (lua.integer(at: -1) ?? 0) + 1
        lua.pop()
        lua.push(position)
        lua.rawSet(1, key: "position")
        lua.rawGet(1, index: position)
        return 1
    }

    static let open: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard lua.type(at: 3) == .string || lua.isNil(at: 3) else { return lua.typeError(3, expected: "string") }
        let text = lua.string(at: 3) ?? "r"
        guard let mode = FSOpenMode(rawValue: text) else {
            return worker.fail(.invalid("open: invalid mode \"\(text)\" (use \"r\", \"w\", \"wx\" or \"a\")"), on: lua)
        }
        return run(lua, "open", work: { directory, path, cwd throws(WippyError) in try directory.open(path, mode: mode, cwd: cwd) }) {
            thread, file in
            FSFileObject.push(file, state: worker, on: thread)
            return 1
        }
    }

    static let changeDirectory: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = arguments(lua, method: "chdir")
        guard case .success(let (volume, _)) = parsed else { return parsed.status }
        return run(lua, "chdir", failure: .falseError, work: { directory, path, cwd throws(WippyError) in
            try directory.directoryPath(path, cwd: cwd)
        }) { thread, path in
            volume.cwd = path
            thread.push(true)
            return 1
        }
    }

    static let workingDirectory: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let volume = RetainedObject.object(at: 1, tag: ModuleTags.fsVolume, in: lua, as: FSVolume.self) else {
            return lua.raise("fs: pwd must be called on an FS object (use vol:pwd())")
        }
        lua.push(volume.cwd)
        return 1
    }
}

extension Result where Failure == EarlyReturn {
    var status: Int32 {
        if case .failure(let early) = self { return early.status }
        return 0
    }
}
