#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT/SIGTERM into a graceful-shutdown request; a second signal exits at once with code 1.
///
/// The signals are blocked in every thread (call ``blockSignals()`` before any thread starts) and received
/// by one dedicated thread with `sigwait`, so no code runs in an asynchronous signal context.
enum SignalWatcher {
    static func blockSignals() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts the watcher thread; `onFirst` runs on it for the first signal.
    static func start(onFirst: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Handler(onFirst)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            let handler = Unmanaged<Handler>.fromOpaque(raw!).takeRetainedValue()
            var set = SignalWatcher.signalSet()
            var count = 0
            while true {
                var received: Int32 = 0
                guard sigwait(&set, &received) == 0 else { continue }
                count += 1
                if count == 1 {
                    let message = "\nshutting down (press Ctrl+C again to force exit)\n"
                    _ = message.withCString { write(2, $0, strlen($0)) }
                    handler.action()
                } else {
                    _exit(1)
                }
            }
        }, box)
        pthread_detach(thread)
    }

    static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }

    private final class Handler {
        let action: @Sendable () -> Void
        init(_ action: @escaping @Sendable () -> Void) { self.action = action }
    }
}
