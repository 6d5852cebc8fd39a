import Dispatch
import Synchronization

/// Waits on the calling thread for the result of a call that reports through a completion (the workflow
/// stores' API). Only for threads that may block: a command-line tool, an engine's own thread; never a
/// worker or an event loop.
public func waitForCompletion<T: Sendable>(
    _ call: (@escaping @Sendable (Result<T, WippyError>) -> Void) -> Void
) -> Result<T, WippyError> {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<T, WippyError>?>(nil)
    call { outcome in
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}
