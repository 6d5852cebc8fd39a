import Testing

/// When the system itself refuses memory (here under `ulimit -v`, with no per-process limit), the process
/// that was growing fails alone and the runtime goes on: it never aborts on a Lua allocation failure.
///
/// The limit is about 700 MB above what an idle `wippy` maps, so a run uses a few hundred MB at most; the
/// cases run one at a time.
@Suite(.serialized) struct OutOfMemoryTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: terminal
            kind: terminal.host
            lifecycle: {auto_start: true}
          - name: processes
            kind: process.host
            host: {workers: 1, process_memory_limit: 0}
            lifecycle: {auto_start: true}
          - name: main
            kind: process.lua
            source: file://main.lua
            modules: [io]
          - name: filler
            kind: process.lua
            source: file://filler.lua
          - name: keeper
            kind: process.lua
            source: file://keeper.lua

        """

    /// Fills a table (allocations made by Lua itself), or keeps every message it receives (allocations the
    /// runtime makes for it, in Swift), until the system refuses; then a fresh process must still work.
    static let files = [
        "src/filler.lua": """
            local function main(n)
                local t, i = {}, 0
                while not n or i < n do
                    i = i + 1
                    t[i] = {i, i, i, i}
                end
                return "filled " .. i
            end
            return { main = main }
            """,
        "src/keeper.lua": """
            local function main(parent)
                local inbox = process.inbox()
                local kept = {}
                process.send(parent, "ready")
                while true do kept[#kept + 1] = inbox:receive():payload():data() end
            end
            return { main = main }
            """,
        "src/main.lua": """
            local io = require("io")
            local function main(which)
                local events = process.events()
                local pid
                if which == "filler" then
                    pid = process.spawn_monitored("app:filler", "app:processes")
                else
                    pid = process.spawn_monitored("app:keeper", "app:processes", process.pid())
                    process.inbox():receive()
                    local chunk = string.rep("k", 1024 * 1024)
                    local sent = 0
                    while process.send(pid, "data", chunk .. sent) do
                        sent = sent + 1
                        if sent % 16 == 0 then
                            local r = channel.select{events:case_receive(), default = true}
                            if not r.default then
                                io.print("ended: " .. tostring(r.value.result.error))
                                pid = nil
                                break
                            end
                        end
                    end
                end
                if pid then io.print("ended: " .. tostring(events:receive().result.error)) end
                process.spawn_monitored("app:filler", "app:processes", 1000)
                io.print("then: " .. tostring(events:receive().result.value))
                return 0
            end
            return { main = main }
            """,
    ]

    /// The filler's error is Lua's own where the refused allocation came from Lua code, or the runtime's where
    /// a native (such as the collection-cycle finalizer of the `system` module) was on the stack.
    @Test(arguments: [
        ("filler", ["not enough memory", "out of memory: the system refused memory to process"]),
        ("keeper", ["out of memory: the system refused memory to process"]),
    ])
    func systemRefusingMemoryFailsOnlyTheGrowingProcess(_ which: String, _ errors: [String]) async throws {
        var files = Self.files
        files["src/_index.yaml"] = Self.project
        let project = try TemporaryProject(files: files)
        let run = try await WippyBinary.run(
            ["run", "--history", "memory", "-x", "app:main", which], in: project.root, timeout: 120,
            addressSpaceKB: 1_000_000)
        #expect(run.status == 0, "exit \(run.status): \(run.stderr.prefix(2000))")
        #expect(errors.contains { run.stdout.contains("ended: \($0)") }, "\(run.stdout)")
        #expect(run.stdout.contains("then: filled 1000"), "\(run.stdout)")
    }
}
