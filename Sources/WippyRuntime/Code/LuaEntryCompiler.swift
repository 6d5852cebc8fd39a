public import WippyCore
import WippyLua
import WippyTypedLua

/// Turns a Lua registry entry (`function.lua`, `process.lua`, `library.lua`, `workflow.lua`) into a
/// ``LuaProgram``: checks its fields, translates the typed dialect, and compiles it once to catch every syntax
/// error before anything runs.
public struct LuaEntryCompiler {
    /// Names of the built-in modules entries may list in `modules:`.
    public let availableModules: Set<String>
    /// Their classes: a `workflow.lua` entry compiles only with modules that ``WorkflowModulePolicy`` allows.
    public let moduleClasses: [String: Set<ModuleClass>]

    /// A compiler for the modules `modules` (name → module), e.g. ``LuaRuntime/modules``.
    public init(modules: [String: any LuaModule]) {
        self.init(moduleClasses: modules.mapValues(\.classes))
    }

    public init(moduleClasses: [String: Set<ModuleClass>]) {
        self.moduleClasses = moduleClasses
        availableModules = Set(moduleClasses.keys)
    }

    /// A compiler for modules whose classes are not known (none is allowed in a workflow but `process` and
    /// `workflow`).
    public init(availableModules: Set<String>) {
        self.init(moduleClasses: Dictionary(uniqueKeysWithValues: availableModules.map { ($0, []) }))
    }

    /// The UTF-8 encoding of U+FEFF, skipped at the start of a source.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Compiles `entry`; errors name the entry and, when known, the file and line.
    public func compile(_ entry: Entry) throws(WippyError) -> LuaProgram {
        guard let kind = LuaEntryKind(rawValue: entry.kind) else {
            throw problem(entry, "\(entry.kind) is not a Lua entry kind")
        }
        guard let source = entry.data["source"] else { throw problem(entry, "missing 'source'") }
        var bytes: [UInt8]
        switch source {
        case .string(let text): bytes = Array(text.utf8)
        case .bytes(let raw): bytes = raw
        default: throw problem(entry, "'source' must be a string")
        }
        // Editors on some systems start UTF-8 files with a byte order mark; Lua's loader would read it as code.
        if bytes.starts(with: LuaEntryCompiler.byteOrderMark) { bytes.removeFirst(LuaEntryCompiler.byteOrderMark.count) }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw problem(entry, "'source' is empty")
        }

        var method: String?
        switch kind {
        case .library: method = nil
        case .function:
            guard let name = entry.data["method"]?.stringValue, !name.isEmpty else {
                throw problem(entry, "function.lua needs a 'method'")
            }
            method = name
        case .process, .workflow:
            method = entry.data["method"]?.stringValue ?? "main"
            if method?.isEmpty == true { method = "main" }
        }

        let modules = try moduleList(entry, kind: kind)
        let imports = try importList(entry)
        let sourceFile = entry.origin?.inlinedFiles["source"]
        let chunkName = sourceFile ?? entry.origin?.file ?? entry.id.description

        let translated: TypedLua.Module
        do {
            translated = try TypedLua.translateModule(
                bytes, chunkName: chunkName, bindsProcess: LuaProgram.mayBindProcess(kind: kind, imports: imports))
        } catch {
            throw syntaxProblem(entry, sourceFile: sourceFile, line: error.line, column: error.column, message: error.message)
        }
        let program = LuaProgram(
            entryID: entry.id, kind: kind, translatedSource: translated.code, method: method, modules: modules,
            imports: imports, sourceFile: sourceFile, holdsNoProcessState: translated.holdsNoProcessState,
            readsProcessFieldsOnly: translated.readsProcessFieldsOnly, bindsReceive: translated.bindsReceive)
        // Lua's own compiler checks what the dialect parser leaves to it (labels and gotos, limits).
        let state = LuaState(standardLibraries: false)
        if let error = state.main.load(program.code, name: program.chunkName) {
            let (line, message) = LuaEntryCompiler.splitLuaMessage(error.message, chunk: entry.id.description)
            throw syntaxProblem(entry, sourceFile: sourceFile, line: line, column: nil, message: message)
        }
        return program
    }

    private func moduleList(_ entry: Entry, kind: LuaEntryKind) throws(WippyError) -> [String] {
        guard let value = entry.data["modules"], !value.isNull else { return [] }
        guard let table = value.tableValue, table.fields.isEmpty else {
            throw problem(entry, "'modules' must be a list of module names")
        }
        var names: [String] = []
        for item in table.array {
            guard let name = item.stringValue, !name.isEmpty else { throw problem(entry, "'modules' must be a list of module names") }
            guard !name.contains(":") else { throw problem(entry, "module '\(name)' must not have a namespace") }
            if kind == .workflow {
                if let reason = WorkflowModulePolicy.refusal(of: name, classes: moduleClasses[name]), availableModules.contains(name) {
                    throw problem(entry, "module '\(name)' is not allowed in a workflow: \(reason)")
                }
                if WorkflowModulePolicy.alwaysAllowed.contains(name) {
                    names.append(name)
                    continue
                }
            }
            guard availableModules.contains(name) else {
                throw problem(entry, "unknown module '\(name)' (available: \(availableModules.sorted().joined(separator: ", ")))")
            }
            names.append(name)
        }
        return names
    }

    private func importList(_ entry: Entry) throws(WippyError) -> [(alias: String, entry: EntryID)] {
        guard let value = entry.data["imports"], !value.isNull else { return [] }
        guard let table = value.tableValue, table.array.isEmpty else {
            throw problem(entry, "'imports' must be a map of alias: entry id")
        }
        var result: [(alias: String, entry: EntryID)] = []
        for (alias, target) in table.stringFields {
            guard !alias.isEmpty, let reference = target.stringValue, !reference.isEmpty else {
                throw problem(entry, "import '\(alias)' must name an entry")
            }
            if result.contains(where: { $0.alias == alias }) { throw problem(entry, "duplicate import alias '\(alias)'") }
            result.append((alias, EntryID.resolve(reference, in: entry.id.namespace)))
        }
        return result.sorted { $0.alias < $1.alias }
    }

    private func problem(_ entry: Entry, _ message: String) -> WippyError {
        let place = entry.origin.map { "\($0): " } ?? ""
        return WippyError("\(place)entry \(entry.id): \(message)", kind: .invalid, retryable: false)
    }

    private func syntaxProblem(_ entry: Entry, sourceFile: String?, line: Int, column: Int?, message: String) -> WippyError {
        let position = column.map { "\(line):\($0)" } ?? "\(line)"
        if let sourceFile {
            return WippyError("\(sourceFile):\(position): \(message) (entry \(entry.id))", kind: .invalid, retryable: false)
        }
        let file = entry.origin?.file ?? "<registry>"
        return WippyError(
            "\(file): entry \(entry.id): source line \(position): \(message)", kind: .invalid, retryable: false)
    }

    /// Splits Lua's "chunk:line: message" into line and message.
    static func splitLuaMessage(_ text: String, chunk: String) -> (Int, String) {
        var rest = Substring(text)
        if rest.hasPrefix(chunk + ":") { rest = rest.dropFirst(chunk.count + 1) }
        if let colon = rest.firstIndex(of: ":"), let line = Int(rest[..<colon]) {
            return (line, String(rest[rest.index(after: colon)...]).trimmingSpaces)
        }
        return (0, text)
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
