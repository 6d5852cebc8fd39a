import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM for `wippy run`, from before boot to exit (Dispatch signal sources: nothing runs in
/// an asynchronous signal context, and nothing here needs a thread of the concurrency pool).
///
/// - While booting: the first signal stops at once, with a message, exit code 128 + the signal number.
/// - Once running: the first signal is recorded (for the exit code of `-x`), announced, and starts the
///   graceful shutdown (the service group watches the same signals); a second one exits at once with 1.
///
/// `@unchecked Sendable`: `sources` is set once in `init` (Dispatch sources are thread-safe); the rest is
/// behind a mutex.
final class SignalWatcher: @unchecked Sendable {
    /// Exit code of a run a signal stopped: 128 + the signal number, as shells report it (130, 143).
    static func exitCode(for signal: Int32) -> Int32 { 128 + signal }
    /// Exit code when a second signal forces the exit.
    static let forcedExitCode: Int32 = 1

    private struct State {
        var booting = true
        var first: Int32?
        var onFirst: (@Sendable () -> Void)?
        var waiters: [CheckedContinuation<Int32?, Never>] = []
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "wippy.signals")
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for signal in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
            source.setEventHandler { [weak self] in self?.received(signal) }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received once running, if any.
    var firstSignal: Int32? { state.withLock { $0.first } }

    /// The first signal, waiting up to `limit` for it: the service group watches the same signals and may
    /// have finished its shutdown before this watcher's handler ran.
    func firstSignal(within limit: Duration) async -> Int32? {
        await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let first = self.state.withLock { state -> Int32? in
                        if state.first == nil { state.waiters.append(continuation) }
                        return state.first
                    }
                    if let first { continuation.resume(returning: first) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { self.resumeWaiters(with: nil) }
            group.cancelAll()
            return first
        }
    }

    private func resumeWaiters(with signal: Int32?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32?, Never>] in
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: signal) }
    }

    /// Boot is over: from now on the first signal calls `onFirst` (which starts the graceful shutdown).
    func running(onFirst: @escaping @Sendable () -> Void) {
        let early = state.withLock { state -> Bool in
            state.booting = false
            state.onFirst = onFirst
            return state.first != nil
        }
        if early { onFirst() }
    }

    private func received(_ signal: Int32) {
        enum Action { case bootInterrupted, shutDown((@Sendable () -> Void)?), force }
        let action = state.withLock { state -> Action in
            if state.booting { return .bootInterrupted }
            guard state.first == nil else { return .force }
            state.first = signal
            return .shutDown(state.onFirst)
        }
        switch action {
        case .bootInterrupted:
            let code = SignalWatcher.exitCode(for: signal)
            SignalWatcher.say("\nwippy: \(SignalWatcher.name(signal)) while booting: stopped (exit code \(code))\n")
            _exit(code)
        case .shutDown(let onFirst):
            SignalWatcher.say("\nshutting down (press Ctrl+C again to force exit)\n")
            resumeWaiters(with: signal)
            onFirst?()
        case .force:
            SignalWatcher.say("\nwippy: second signal: exiting now\n")
            _exit(SignalWatcher.forcedExitCode)
        }
    }

    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }

    private static func say(_ text: String) {
        _ = text.withCString { write(2, $0, strlen($0)) }
    }
}
