import WippyCore
import WippyRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Turns entries into runtime objects, kind by kind, and checks references between them.
struct ApplicationBuilder {
    let runtime: LuaRuntime
    let supervisor: Supervisor
    var hosts: [EntryID: HostService] = [:]
    var terminalHosts: [EntryID] = []
    var services: [EntryID: ProcessService] = [:]

    /// Kinds stored in the registry with no runtime object.
    static let internalKinds: Set<String> = ["registry.entry", "ns.definition", "ns.requirement", "ns.dependency"]
    static let luaKinds: Set<String> = ["function.lua", "process.lua", "library.lua", "workflow.lua"]
    /// Wippy kinds this runtime does not implement yet (a clearer error than "unknown kind").
    static let laterKinds = [
        "http.", "db.", "store.", "queue.", "env.", "fs.", "template.", "security.", "contract.", "exec.",
        "network.", "config.", "cloudstorage.", "temporal.", "pg.scope", "function.wasm", "function.wat",
        "process.wasm",
    ]

    init(runtime: LuaRuntime, supervisor: Supervisor) {
        self.runtime = runtime
        self.supervisor = supervisor
    }

    mutating func build(_ entries: [Entry]) throws(WippyError) {
        let compiler = LuaEntryCompiler(availableModules: Set(runtime.modules.keys))
        var serviceEntries: [Entry] = []
        for entry in entries {
            switch entry.kind {
            case _ where ApplicationBuilder.luaKinds.contains(entry.kind):
                runtime.install(try compiler.compile(entry))
            case "process.host":
                try addHost(entry, terminal: false)
            case "terminal.host":
                try addHost(entry, terminal: true)
            case "process.service":
                serviceEntries.append(entry)
            case _ where ApplicationBuilder.internalKinds.contains(entry.kind):
                break
            default:
                if ApplicationBuilder.laterKinds.contains(where: { entry.kind.hasPrefix($0) }) {
                    throw problem(entry, "kind '\(entry.kind)' is not supported by this runtime yet")
                }
                throw problem(entry, "unknown kind '\(entry.kind)'")
            }
        }
        try checkImports(entries)
        for entry in serviceEntries { try addService(entry) }
    }

    private mutating func addHost(_ entry: Entry, terminal: Bool) throws(WippyError) {
        var workers = terminal ? 1 : Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        if !terminal, let configured = entry.data["host"]?["workers"] {
            guard let count = configured.intValue, count > 0 else { throw problem(entry, "host.workers must be a positive integer") }
            workers = Int(count)
        }
        let lifecycle = try lifecycleConfig(entry)
        let host = runtime.makeHost(id: entry.id.description, workers: workers, terminal: terminal)
        runtime.node.register(host: host)
        let service = HostService(host: host)
        hosts[entry.id] = service
        if terminal { terminalHosts.append(entry.id) }
        supervisor.register(entry.id, service: service, lifecycle: lifecycle)
    }

    private mutating func addService(_ entry: Entry) throws(WippyError) {
        guard let processReference = entry.data["process"]?.stringValue, !processReference.isEmpty else {
            throw problem(entry, "process.service needs 'process' (a process.lua entry)")
        }
        let processID = EntryID.resolve(processReference, in: entry.id.namespace)
        guard let program = runtime.program(processID) else {
            throw problem(entry, "process '\(processID)' does not exist")
        }
        guard program.kind == .process || program.kind == .workflow else {
            throw problem(entry, "'\(processID)' is a \(program.kind.rawValue) entry, not a process")
        }
        guard let hostReference = entry.data["host"]?.stringValue, !hostReference.isEmpty else {
            throw problem(entry, "process.service needs 'host' (a process.host entry ID)")
        }
        let hostID = EntryID.resolve(hostReference, in: entry.id.namespace)
        guard hosts[hostID] != nil else { throw problem(entry, "host '\(hostReference)' does not exist") }
        var input: [Payload] = []
        if let value = entry.data["input"], !value.isNull {
            if let list = value.tableValue, list.fields.isEmpty { input = list.array } else { input = [value] }
        }
        var lifecycle = try lifecycleConfig(entry)
        lifecycle.requires.append(hostID)
        let service = ProcessService(id: entry.id, runtime: runtime, process: processID, host: hostID.description, input: input)
        services[entry.id] = service
        supervisor.register(entry.id, service: service, lifecycle: lifecycle)
    }

    private func lifecycleConfig(_ entry: Entry) throws(WippyError) -> LifecycleConfig {
        do {
            return try LifecycleConfig(payload: entry.data["lifecycle"], namespace: entry.id.namespace)
        } catch {
            throw problem(entry, error.message)
        }
    }

    /// Every import names an existing library, and imports form no cycle.
    private func checkImports(_ entries: [Entry]) throws(WippyError) {
        for entry in entries where ApplicationBuilder.luaKinds.contains(entry.kind) {
            guard let program = runtime.program(entry.id) else { continue }
            var visiting: [EntryID] = []
            try visit(program, entry: entry, visiting: &visiting)
        }
    }

    private func visit(_ program: LuaProgram, entry: Entry, visiting: inout [EntryID]) throws(WippyError) {
        visiting.append(program.entryID)
        defer { visiting.removeLast() }
        for (alias, target) in program.imports {
            if visiting.contains(target) {
                let cycle = (visiting + [target]).map(\.description).joined(separator: " -> ")
                throw problem(entry, "import cycle: \(cycle)")
            }
            guard let library = runtime.program(target) else {
                throw problem(entry, "import '\(alias)' refers to \(target), which does not exist")
            }
            guard library.kind == .library else {
                throw problem(entry, "import '\(alias)' refers to \(target), which is not a library.lua")
            }
            try visit(library, entry: entry, visiting: &visiting)
        }
    }

    private func problem(_ entry: Entry, _ message: String) -> WippyError {
        let place = entry.origin.map { "\($0): " } ?? ""
        return WippyError("\(place)entry \(entry.id): \(message)", kind: .invalid, retryable: false)
    }
}
