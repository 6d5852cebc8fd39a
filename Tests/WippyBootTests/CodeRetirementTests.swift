import Foundation
import Logging
import Synchronization
import Testing
import WippyBoot
import WippyCore
import WippyModules

#if canImport(Glibc)
import Glibc
#endif

/// Code replaced by a reload is freed (issue 7, item 4): the resident set of a process that reloads a
/// changed function 1 000 times, calling it after each reload, stays flat. Each version of the function holds
/// a 64 KiB string constant, so a worker that kept every compiled chunk would grow by 64 MB.
///
/// Measured in a child process running this test alone: in the shared test process other suites allocate
/// concurrently, so its resident set says nothing about this test.
@Suite struct CodeRetirementTests {
    static let reloads = 1000
    static let warmUp = 100
    static let constantBytes = 64 * 1024

    static let index = """
        version: "1.0"
        namespace: app
        entries:
          - name: terminal
            kind: terminal.host
          - name: big
            kind: function.lua
            source: file://big.lua
            method: call
          - name: caller
            kind: process.lua
            modules: [funcs]
            source: |
              local funcs = require("funcs")
              return { main = function() return funcs.new():call("app:big") end }
        """

    /// A version of the function: a long string constant unique to `version`.
    static func source(_ version: Int) -> String {
        let filler = String(repeating: "abcdefgh", count: constantBytes / 8)
        return "local blob = [[\(version) \(filler)]]\nreturn { call = function() return #blob .. \" v\(version)\" end }\n"
    }

    @Test func replacedCodeIsFreed() async throws {
        if getenv(IsolatedChild.variable) != nil {
            try CodeRetirementTests.reloadMany()
            return
        }
        let (status, output) = try await IsolatedChild.run(test: "CodeRetirementTests")
        let growth = output.split(separator: "\n").compactMap { line in
            line.hasPrefix("rss growth ") ? Int(line.dropFirst("rss growth ".count)) : nil
        }.first
        #expect(status == 0, "\(output)")
        let measured = try #require(growth, "no measurement in:\n\(output)")
        // Every kept chunk would add at least 64 KiB: 900 of them 58 MB. A generous bound for allocator noise.
        #expect(measured < 24 * 1024 * 1024, "resident set grew by \(measured / 1024) KiB over \(CodeRetirementTests.reloads - CodeRetirementTests.warmUp) reloads")
    }

    /// Inside the child: boots the project, reloads a changed `app:big` and calls it, many times; prints the
    /// resident set's growth between the end of the warm-up and the end.
    static func reloadMany() throws {
        let project = try TemporaryProject()
        defer { project.remove() }
        try project.writeLock()
        try project.write("src/_index.yaml", index)
        try project.write("src/big.lua", source(0))
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = .memory
        let logger = Logger(label: "retirement") { _ in SwiftLogNoOpLogHandler() }
        let app = try Application(options: options, modules: StandardModules.all(terminal: nil), logger: logger)
        defer { app.shutdown() }
        let reloader = ProjectReloader(application: app)
        let host = try app.terminalHost(preferred: nil)
        var baseline = 0
        for version in 1...reloads {
            try project.write("src/big.lua", source(version))
            guard case .applied = reloader.reload(changed: [WatchedChange(path: project.root + "/src/big.lua")]) else {
                Issue.record("reload \(version) did not apply")
                return
            }
            let finished = Mutex<ProcessResult?>(nil)
            let done = DispatchSemaphore(value: 0)
            _ = try app.startCommand(EntryID(parsing: "app:caller"), host: host, arguments: []) { result in
                finished.withLock { $0 = result }
                done.signal()
            }
            done.wait()
            guard let result = finished.withLock({ $0 }),
                result.value.stringValue == "\(constantBytes + String(version).count + 1) v\(version)"
            else {
                Issue.record("call \(version) did not return the new code's value")
                return
            }
            if version == warmUp { baseline = residentBytes() }
        }
        print("rss growth \(residentBytes() - baseline)")
    }

    /// The resident set of this process, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Runs one test of this test binary in a child process, alone, and hands back its exit status and output.
enum IsolatedChild {
    static let variable = "WIPPY_ISOLATED_BOOT_TEST"

    static func run(test name: String, timeout: Duration = .seconds(600)) async throws -> (status: Int32, output: String) {
        let output = NSTemporaryDirectory() + "wippy-isolated-\(getpid())-\(UUID().uuidString).log"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = ["/proc/self/exe", "--testing-library", "swift-testing", "--filter", name]
        var environment = ["\(variable)=1"]
        if let path = getenv("PATH") { environment.append("PATH=" + String(cString: path)) }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        guard posix_spawn(&child, "/proc/self/exe", &actions, nil, argv, envp) == 0 else { return (-1, "posix_spawn failed") }
        var status: Int32 = 0
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while waitpid(child, &status, WNOHANG) != child {
            if clock.now > deadline {
                kill(child, SIGKILL)
                _ = waitpid(child, &status, 0)
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (status, text)
    }
}
