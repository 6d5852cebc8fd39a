import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// Runs one database call from a native: the calling task is suspended while the backend works (on its
/// executor or an event loop), and resumes on its own worker with `value, nil` or `nil, err`. Other tasks
/// and processes of the worker run meanwhile. A completion that comes before the native returns (a check
/// that failed at once) is returned without suspending. (``awaitValue(_:timeout:onTimeout:register:resume:)``
/// with the backends' `Result` completions.)
enum SQLCall {
    /// - Parameters:
    ///   - timeout: when given, the wait ends with `Timeout` (`timeoutMessage`) after it.
    ///   - needsProcess: the error raised when no process runs the call.
    ///   - source: where the backend's answer comes from (``SQLDatabase/completionSource``): it decides
    ///     whether the worker polls for the answer a while before parking.
    static func run<Value: Sendable>(
        _ lua: Lua, timeout: Duration? = nil, timeoutMessage: String = "timed out",
        needsProcess: String = "sql: a database call needs a running process", source: CompletionSource = .elsewhere,
        _ start: (@escaping SQLCompletion<Value>) -> Void, push: @escaping (Lua, Value) -> Int32
    ) -> Int32 {
        let worker = LuaWorkerState.of(lua)
        return awaitValue(
            lua, needsProcess: needsProcess, timeout: timeout, onTimeout: { worker.fail(.timeout(timeoutMessage), on: $0) },
            source: source,
            register: { (done: @escaping @Sendable (Result<Value, WippyError>) -> Void) throws(WippyError) in start(done) }
        ) { thread, result in
            switch result {
            case .success(let value): return push(thread, value)
            case .failure(let error): return worker.fail(error, on: thread)
            }
        }
    }
}
