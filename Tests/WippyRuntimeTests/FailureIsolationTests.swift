import Testing
import WippyCore
import WippyRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A process erroring dies alone (core.md §8.1 isolation; "a process erroring dies alone and the host keeps
/// serving"): that includes processes that ask for absurd amounts of memory or hand the runtime a table whose
/// length (border) is huge although it holds a few entries. Each scenario runs in a child copy of this test
/// binary, so that an abort of the runtime cannot take the test run down with it.
@Suite struct FailureIsolationTests {
    static let probeVariable = "WIPPY_TEST_FAILURE_PROBE"

    /// `{[1] = true, [2] = true, [4] = true, ..., [2^40] = true}`: 41 entries, but `#t` is 2^40.
    static let hugeBorder = "{" + (0...40).map { "[\(Int64(1) << $0)] = true" }.joined(separator: ", ") + "}"

    /// Scenario name → body of a main function; each returns a string if the runtime survives it.
    static let scenarios: [String: String] = [
        "table.create 2^31": "local ok, e = pcall(table.create, 2147483647, 0) return tostring(ok) .. '|' .. tostring(e)",
        "send huge border": "local ok, e = pcall(process.send, process.pid(), 't', \(hugeBorder)) return tostring(ok) .. '|' .. tostring(e)",
        "return huge border": "return \(hugeBorder)",
        "select over huge border": "local ok, e = pcall(channel.select, \(hugeBorder)) return tostring(ok) .. '|' .. tostring(e)",
        "error details huge border": "local ok, e = pcall(errors.new, {message = 'x', details = {t = \(hugeBorder)}}) return tostring(ok)",
        // A generator made by a task that has since finished: natives inside it must act for the task that
        // resumes it, never for the finished (freed) one. Expected first result: "ab".
        "coroutine of a finished task": """
            local ch = channel.new(1)
            local gen
            coroutine.spawn(function()
                gen = coroutine.wrap(function() while true do coroutine.yield(ch:receive()) end end)
            end)
            local junk = {}
            for i = 1, 500 do coroutine.spawn(function() junk[i] = {i} end) end
            ch:send("a")
            local v1 = gen()
            coroutine.spawn(function() coroutine.yield() ch:send("b") end)
            local v2 = gen()
            return tostring(v1) .. tostring(v2)
            """,
    ]

    /// Scenarios whose first process must also return a specific value.
    static let expectedFirst: [String: String] = ["coroutine of a finished task": "ab"]

    /// In a child (probe variable names a scenario): runs the scenario in one process, then checks that another
    /// process still runs. In a normal run it checks that the border trick really gives a huge `#t`.
    @Test func failureProbe() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        guard let raw = getenv(Self.probeVariable), let body = Self.scenarios[String(cString: raw)] else {
            let border = await node.run(source: "return { main = function() return tostring(#\(Self.hugeBorder)) end }")
            #expect(border.text == "1099511627776")
            return
        }
        let first = await node.run(source: "return { main = function() \(body) end }")
        print("[probe] first=\(first.text.prefix(200))")
        let second = await node.run(source: "return { main = function() return 'alive' end }")
        print("[probe] second=\(second.text)")
    }

    @Test(arguments: scenarios.keys.sorted())
    func oneProcessCannotTakeTheRuntimeDown(_ scenario: String) async throws {
        let output = "/tmp/wippy-failure-probe-\(getpid())-\(scenario.hashValue & 0xffff).log"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = ["/proc/self/exe", "--testing-library", "swift-testing", "--filter", "failureProbe"]
        var environment = ["\(Self.probeVariable)=\(scenario)"]
        if let path = getenv("PATH") { environment.append("PATH=" + String(cString: path)) }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        try #require(posix_spawn(&child, "/proc/self/exe", &actions, nil, argv, envp) == 0)
        var status: Int32 = 0
        let clock = ContinuousClock()
        let deadline = clock.now + LuaTestNode.hangGuard
        var finished = false
        while !finished {
            let waited = waitpid(child, &status, WNOHANG)
            if waited == child { finished = true; break }
            if clock.now > deadline { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        if !finished {
            kill(child, SIGKILL)
            _ = waitpid(child, &status, 0)
        }
        let lines = Self.read(output).split(separator: "\n").filter {
            $0.contains("[probe]") || $0.contains("wippy:") || $0.contains("Fatal error") || $0.contains("rror:")
        }.map { String($0.prefix(300)) }
        #expect(finished, "the runtime hung (a worker stuck in the scenario): \(lines)")
        #expect(!finished || status & 0x7f == 0, "the runtime was killed by signal \(status & 0x7f): \(lines)")
        #expect(lines.contains { $0.contains("[probe] second=alive") }, "\(lines)")
        if let expected = Self.expectedFirst[scenario] {
            #expect(lines.contains { $0.contains("[probe] first=\(expected)") }, "\(lines)")
        }
    }

    static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
