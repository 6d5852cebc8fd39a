import Testing
import WippyLua
#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by the bridge tests: states, natives registered as globals, running chunks on threads.
enum Bridge {
    /// A state with the standard libraries; with `wippyCoroutines` the `coroutine.create`/`resume`/`wrap`/`status`
    /// replacements are installed the way the runtime sandbox does.
    static func state(wippyCoroutines: Bool = false) -> LuaState {
        let state = LuaState(standardLibraries: true)
        if wippyCoroutines {
            let lua = state.main
            lua.pushGlobals()
            lua.rawGet(-1, key: "coroutine")
            lua.pushCoroutineResume()
            lua.rawSet(-2, key: "resume")
            lua.pushCoroutineWrap()
            lua.rawSet(-2, key: "wrap")
            lua.pushCoroutineCreate()
            lua.rawSet(-2, key: "create")
            lua.pushCoroutineStatus()
            lua.rawSet(-2, key: "status")
            lua.pop(2)
        }
        return state
    }

    static func setGlobal(_ state: LuaState, _ name: String, _ native: LuaNativeFunction) {
        let lua = state.main
        lua.pushGlobals()
        lua.push(native: native)
        lua.rawSet(-2, key: name)
        lua.pop()
    }

    /// The global `name` rendered with `tostring`.
    static func global(_ state: LuaState, _ name: String) -> String {
        let lua = state.main
        lua.pushGlobals()
        lua.rawGet(-1, key: name)
        let text = describe(lua, at: -1)
        lua.pop(2)
        return text
    }

    static func describe(_ lua: Lua, at index: Int32) -> String {
        switch lua.type(at: index) {
        case .nil, .none: return "nil"
        case .string: return lua.string(at: index) ?? "?"
        default: return lua.toStringProtected(at: index)
        }
    }

    /// The top `count` values of `lua`, rendered, then popped.
    static func take(_ lua: Lua, _ count: Int32) -> [String] {
        guard count > 0 else { return [] }
        var values: [String] = []
        for index in (lua.top - count + 1)...lua.top { values.append(describe(lua, at: index)) }
        lua.pop(count)
        return values
    }

    /// Compiles and runs `source` on the main thread in protected mode; returns its results rendered.
    static func run(_ state: LuaState, _ source: String, name: String = "=test") -> Result<[String], LuaError> {
        let lua = state.main
        let base = lua.top
        if let error = lua.load(Array(source.utf8), name: name) { return .failure(error) }
        if let error = lua.protectedCall(arguments: 0, results: -1) { return .failure(error) }
        return .success(take(lua, lua.top - base))
    }

    /// A new thread (anchored on the main stack) with `source` compiled on it, ready to be resumed.
    static func thread(_ state: LuaState, _ source: String, name: String = "=test") -> Lua {
        let thread = state.main.newThread()
        if let error = thread.load(Array(source.utf8), name: name) {
            Issue.record("chunk does not compile: \(error)")
        }
        return thread
    }

    enum Step: Equatable, CustomStringConvertible {
        case systemYield
        case yielded([String])
        case returned([String])
        case failed(String)

        var description: String {
            switch self {
            case .systemYield: return "systemYield"
            case .yielded(let v): return "yielded\(v)"
            case .returned(let v): return "returned\(v)"
            case .failed(let m): return "failed(\(m))"
            }
        }
    }

    /// Resumes `thread` with `arguments` already pushed; classifies what happened and clears the results.
    static func resume(_ thread: Lua, arguments: Int32 = 0) -> Step {
        let (status, results) = thread.resume(from: nil, arguments: arguments)
        switch status {
        case .yield:
            if thread.isSystemYield(results: results) {
                thread.pop(results)
                return .systemYield
            }
            return .yielded(take(thread, results))
        case .ok:
            return .returned(take(thread, results))
        default:
            let message = describe(thread, at: -1)
            thread.pop()
            return .failed(message)
        }
    }
}

/// Resident set size of this process, from /proc/self/statm.
func bridgeResidentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 128)
    guard fgets(&buffer, 128, file) != nil else { return 0 }
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A cross-module advisory lock (flock on a file in /tmp). Memory measurements hold it exclusively; the
/// runtime tests, which start thread pools and many processes, hold it shared, so RSS figures are not polluted
/// by tests running in parallel in the same test process. Acquisition polls so no cooperative thread blocks.
enum TestMemoryLock {
    static let path = "/tmp/wippy-swift-tests-memory.lock"

    /// Waits for the lock, at most `limit` (then goes on without it: measurements may be noisier).
    static func acquire(exclusive: Bool, limit: Duration = .seconds(120)) async -> Int32 {
        let fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { return -1 }
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
            if clock.now > deadline { return fd }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return fd
    }

    static func release(_ fd: Int32) {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
    }
}
