import WippyCore
public import WippyLua
public import WippyRuntime
import WippyResources

/// The `fs` module (lua-api-io §7.4): `fs.get(id)` gives a volume over an `fs.directory` entry, confined
/// to its root (``WippyResources/FSDirectory``); volumes read and write files, list directories and open
/// file handles with scanners. Everything that touches the disk runs on the runtime's blocking pool while
/// the calling process is suspended. Open files are closed when the invocation that opened them ends.
///
/// No permissions are checked yet (there is no security layer).
public struct FSModule: LuaModule {
    public let name = "fs"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(ModuleTags.fsVolume, name: "fs.FS", methods: FSVolumeObject.methods, metamethods: [("__gc", FSVolumeObject.collect)])
        state.registerType(ModuleTags.fsFile, name: "fs.File", methods: FSFileObject.methods, metamethods: [("__gc", FSFileObject.collect)])
        if !state.hasMetatable(ModuleTags.fsScanner) {
            state.registerType(
                ModuleTags.fsScanner, name: "fs.Scanner", methods: FSScannerObject.methods,
                metamethods: [("__gc", FSScannerObject.collect)])
        }
        lua.newTable(arrayCapacity: 0, fieldCapacity: 3)
        lua.setFunctions([("get", Self.get)], in: -1)
        lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
        lua.push("file")
        lua.rawSet(-2, key: "FILE")
        lua.push("directory")
        lua.rawSet(-2, key: "DIR")
        state.makeReadOnly()
        lua.rawSet(-2, key: "type")
        lua.newTable(arrayCapacity: 0, fieldCapacity: 3)
        for (key, value) in [("SET", "set"), ("CUR", "cur"), ("END", "end")] {
            lua.push(value)
            lua.rawSet(-2, key: key)
        }
        state.makeReadOnly()
        lua.rawSet(-2, key: "seek")
    }

    /// `fs.get(id)` → FS or `nil, err`: empty ⇒ `INVALID`; unknown ⇒ `NOT_FOUND`; a directory that could not
    /// open ⇒ `UNAVAILABLE` with the reason. A bare name is taken in the caller's namespace.
    static let get: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard lua.type(at: 1) == .string, let text = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        do throws(WippyError) {
            guard !text.isEmpty else { throw WippyError.invalid("fs.get: directory ID is empty") }
            let namespace = LuaProcess.current(lua)?.program.entryID.namespace ?? ""
            let id = EntryID.resolve(text, in: namespace)
            // Volumes are not reference counted (§0.4): the lease only checks the kind.
            let (lease, directory) = try worker.runtime.resources.acquire(id, as: FSDirectory.self, what: "an fs.directory")
            lease.release()
            RetainedObject.push(FSVolume(directory: directory), tag: ModuleTags.fsVolume, userValues: 0, state: worker, on: lua)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }
}

/// A volume: a directory and this handle's working directory (a volume path).
final class FSVolume {
    let directory: FSDirectory
    var cwd = "/"

    init(directory: FSDirectory) { self.directory = directory }
}
