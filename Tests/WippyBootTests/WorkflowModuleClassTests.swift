import Testing
import WippyBoot
import WippyCore
import WippyRuntime

/// Issue 8 item 1: a `workflow.lua` entry compiles only when every module it lists, directly or through an
/// imported library, is of an allowed class (deterministic or workflow; `process` always, `workflow` even
/// before it is registered). Otherwise the registry change is refused, naming the entry, the module and the
/// library it came through.
@Suite struct WorkflowModuleClassTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: helpers
            kind: library.lua
            modules: [json, base64]
            source: 'return { word = function() return "w" end }'
          - name: order
            kind: workflow.lua
            modules: [time, uuid, funcs, ctx, json, workflow, process]
            imports: {helpers: app:helpers}
            source: |
              local helpers = require("helpers")
              return { main = function() return helpers.word() end }
        """

    static func entry(_ id: String, _ kind: String, modules: [String], imports: [(String, String)] = []) -> Entry {
        var fields: [(String, Payload)] = [
            ("source", "return { main = function() return 1 end }"),
            ("modules", .array(modules.map { .string($0) })),
        ]
        if kind == "library.lua" { fields[0] = ("source", "return {}") }
        if !imports.isEmpty { fields.append(("imports", .map(imports.map { ($0.0, .string($0.1)) }))) }
        return Entry(id: EntryID(parsing: id), kind: kind, data: .map(fields))
    }

    /// The message of the error `changes` are refused with (nil: they were applied).
    static func refusal(_ app: Application, _ changes: [RegistryChange]) -> String? {
        do throws(WippyError) {
            try app.registry.apply(changes)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func allowedWorkflowCompilesAndIsReachableLikeAProcess() throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        let program = try #require(app.app.runtime.program(EntryID(parsing: "app:order")))
        #expect(program.kind == .workflow)
        #expect(program.method == "main")
        #expect(program.modules == ["time", "uuid", "funcs", "ctx", "json", "workflow", "process"])
        #expect(program.imports.map(\.entry) == [EntryID(parsing: "app:helpers")])
    }

    @Test func moduleOfTheWrongClassIsRefusedByName() throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        let message = try #require(Self.refusal(app.app, [.create(Self.entry("app:bad", "workflow.lua", modules: ["json", "io"]))]))
        #expect(message.contains("entry app:bad: module 'io' is not allowed in a workflow"), "\(message)")
        #expect(message.contains("does not have any allowed class (it has class io"), "\(message)")
        #expect(app.app.runtime.program(EntryID(parsing: "app:bad")) == nil)
        // The same list is fine for a process.
        #expect(Self.refusal(app.app, [.create(Self.entry("app:proc", "process.lua", modules: ["json", "io"]))]) == nil)
    }

    @Test func moduleReachedThroughAnImportIsRefusedNamingTheLibrary() throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        let message = try #require(
            Self.refusal(
                app.app,
                [
                    .create(Self.entry("app:noisy", "library.lua", modules: ["logger"])),
                    .create(Self.entry("app:chatty", "workflow.lua", modules: ["json"], imports: [("noisy", "app:noisy")])),
                ]))
        #expect(
            message.contains("entry app:chatty: module 'logger' (listed by library app:noisy, imported through app:noisy) is not allowed in a workflow"),
            "\(message)")
        #expect(app.app.runtime.program(EntryID(parsing: "app:chatty")) == nil)

        // Two levels down.
        let nested = try #require(
            Self.refusal(
                app.app,
                [
                    .create(Self.entry("app:inner", "library.lua", modules: ["system"])),
                    .create(Self.entry("app:outer", "library.lua", modules: ["json"], imports: [("inner", "app:inner")])),
                    .create(Self.entry("app:deep", "workflow.lua", modules: [], imports: [("outer", "app:outer")])),
                ]))
        #expect(nested.contains("entry app:deep: module 'system' (listed by library app:inner, imported through app:outer -> app:inner)"), "\(nested)")
    }

    @Test func changingAnImportedLibraryCannotBreakAWorkflow() throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        let message = try #require(
            Self.refusal(app.app, [.update(Self.entry("app:helpers", "library.lua", modules: ["json", "registry"]))]))
        #expect(message.contains("entry app:order: module 'registry' (listed by library app:helpers"), "\(message)")
        #expect(app.app.runtime.program(EntryID(parsing: "app:helpers"))?.modules == ["json", "base64"])
        // An allowed change goes through.
        #expect(Self.refusal(app.app, [.update(Self.entry("app:helpers", "library.lua", modules: ["uuid"]))]) == nil)
        #expect(app.app.runtime.program(EntryID(parsing: "app:helpers"))?.modules == ["uuid"])
    }

    @Test func unknownModuleIsStillUnknown() throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        let message = try #require(Self.refusal(app.app, [.create(Self.entry("app:odd", "workflow.lua", modules: ["nosuch"]))]))
        #expect(message.contains("entry app:odd: unknown module 'nosuch'"), "\(message)")
    }
}
