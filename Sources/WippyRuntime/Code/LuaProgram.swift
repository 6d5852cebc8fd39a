public import WippyCore
import Synchronization

/// The kinds of Lua entries.
public enum LuaEntryKind: String, Sendable {
    case function = "function.lua"
    case process = "process.lua"
    case library = "library.lua"
    case workflow = "workflow.lua"

    /// Executable kinds get the `process` global.
    public var isExecutable: Bool { self != .library }
}

/// The code of one Lua entry, translated to Lua 5.4 and ready to compile on any worker.
///
/// Immutable and `Sendable`; each worker compiles it once (cached by ``serial``). A changed entry gets a new
/// program with a new serial, so running code keeps its old program.
public final class LuaProgram: Sendable {
    public let entryID: EntryID
    public let kind: LuaEntryKind
    /// Lua 5.4 text: `local _ENV = ...; local _G = _ENV;` followed by the translated source on the same
    /// first line. `_G` is a local of the chunk rather than a field of every environment table: one hash node
    /// less per process.
    public let code: [UInt8]
    /// `=ns:name`, so runtime errors read `ns:name:line: message`.
    public let chunkName: String
    /// Method to call (nil: the chunk's return value is used as it is, for libraries).
    public let method: String?
    /// Built-in modules the entry may `require`.
    public let modules: [String]
    /// `alias → library entry`.
    public let imports: [(alias: String, entry: EntryID)]
    /// The file the source came from, for error messages.
    public let sourceFile: String?
    /// Unique per program instance.
    public let serial: UInt64
    /// The host part of function-call PIDs, `<entry id>#lua.<serial>`: made once, as every call's PID
    /// carries it.
    public let hostLabel: String
    /// The translator proved the chunk holds no per-process state (``TypedLua/Module/holdsNoProcessState``)
    /// and the entry imports no library: one instance of it per worker serves every process of the entry,
    /// instead of a run of the chunk per spawn.
    public let isShareable: Bool
    /// The chunk's `process` is a local bound to the chunk's second argument (`local _ENV, process = ...`):
    /// the translator proved the code only reads fields of the global `process`
    /// (``TypedLua/Module/readsProcessFieldsOnly``), so the runtime passes a plain table with the read-only
    /// module's fields (``LuaWorkerState/pushProcessBinding(environmentAt:on:)``) and `process.send(...)`
    /// costs an upvalue read and one hash hit instead of two misses through `__index` chains. Only for
    /// entries that get the `process` global (not workflows: their `process` is the workflow's) and import
    /// no library under that name.
    public let bindsProcess: Bool
    /// The code calls `__wippy_receive(inbox)` where the source said `inbox:receive()` (the translator proved
    /// `inbox` holds the process's inbox, ``TypedLua/Module/bindsReceive``), and may call
    /// `__wippy_topic(msg, what)`/`__wippy_from(msg, what)` for `msg:topic()`/`msg:from()` on what such a
    /// receive gave, and `__wippy_spawn(...)` for a statement `process.spawn(...)`: the chunk's third to sixth
    /// arguments, the channels' `receive`, the message accessors and a spawn returning nothing, are bound to
    /// those locals. Only with ``bindsProcess``.
    public let bindsReceive: Bool

    /// Whether an entry of `kind` with `imports` binds `process` when the translator proves it may (the
    /// translator is told before it translates: see ``bindsReceive``).
    public static func mayBindProcess(kind: LuaEntryKind, imports: [(alias: String, entry: EntryID)]) -> Bool {
        (kind == .process || kind == .function) && !imports.contains { $0.alias == "process" }
    }

    private static let counter = Atomic<UInt64>(0)

    public init(
        entryID: EntryID, kind: LuaEntryKind, translatedSource: [UInt8], method: String?, modules: [String],
        imports: [(alias: String, entry: EntryID)], sourceFile: String?, holdsNoProcessState: Bool = false,
        readsProcessFieldsOnly: Bool = false, bindsReceive: Bool = false
    ) {
        self.entryID = entryID
        self.kind = kind
        let bindsProcess = readsProcessFieldsOnly && LuaProgram.mayBindProcess(kind: kind, imports: imports)
        self.bindsProcess = bindsProcess
        self.bindsReceive = bindsProcess && bindsReceive
        let prologue = !bindsProcess ? "local _ENV = ...; local _G = _ENV; "
            : bindsReceive ? "local _ENV, process, __wippy_receive, __wippy_topic, __wippy_from, __wippy_spawn = ...; local _G = _ENV; "
            : "local _ENV, process = ...; local _G = _ENV; "
        self.code = Array(prologue.utf8) + translatedSource
        self.chunkName = "=" + entryID.description
        self.method = method
        self.modules = modules
        self.imports = imports
        self.sourceFile = sourceFile
        self.serial = LuaProgram.counter.add(1, ordering: .relaxed).newValue
        self.hostLabel = "\(entryID)#lua.\(serial)"
        // Imported libraries are bound into each instance's environment: one instance per process then.
        self.isShareable = holdsNoProcessState && imports.isEmpty && kind == .process
    }

    private init(renewing program: LuaProgram) {
        entryID = program.entryID
        kind = program.kind
        code = program.code
        chunkName = program.chunkName
        method = program.method
        modules = program.modules
        imports = program.imports
        sourceFile = program.sourceFile
        serial = LuaProgram.counter.add(1, ordering: .relaxed).newValue
        hostLabel = "\(entryID)#lua.\(serial)"
        isShareable = program.isShareable
        bindsProcess = program.bindsProcess
        bindsReceive = program.bindsReceive
    }

    /// The same code under a new serial: what importers of a changed library become, so every per-worker
    /// cache (compiled chunks, import plans, function instances) builds afresh with the new library.
    public func renewed() -> LuaProgram { LuaProgram(renewing: self) }
}
