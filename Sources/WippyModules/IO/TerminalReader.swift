import Synchronization
import WippyCore

/// The thread that reads a terminal's input for Lua processes, so that no worker thread ever blocks on it.
///
/// Requests (a line, or up to n bytes) queue up and are served in order from an internal buffer that the
/// thread fills with `read(2)`. The input is only read while a request waits, so bytes a process did not ask
/// for stay in the OS pipe. The thread sleeps in `poll(2)` on the input and on a private wake-up pipe; it is
/// started by the first request and ends after ``stop()``.
///
/// Thread safety: all mutable state is in one `Mutex`; completions run on the reader thread, outside the lock.
final class TerminalReader: Sendable {
    enum Request: Sendable {
        case line
        case bytes(Int)
    }

    private struct Pending {
        var request: Request
        var completion: @Sendable (TerminalReadResult) -> Void
    }

    private struct State {
        var queue: [Pending] = []
        var buffer: [UInt8] = []
        var endOfFile = false
        var failure: WippyError?
        var stopped = false
        var threadStarted = false
    }

    private let input: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let state = Mutex(State())

    init(input: Int32) {
        self.input = input
        let wake = POSIX.nonBlockingPipe()
        wakeRead = wake?.read ?? -1
        wakeWrite = wake?.write ?? -1
    }

    deinit {
        if wakeRead >= 0 { POSIX.close(wakeRead) }
        if wakeWrite >= 0 { POSIX.close(wakeWrite) }
    }

    /// Queues a request; `completion` runs on the reader thread when it is served.
    func submit(_ request: Request, completion: @escaping @Sendable (TerminalReadResult) -> Void) {
        let outcome = state.withLock { state -> (accepted: Bool, start: Bool) in
            if state.stopped { return (false, false) }
            state.queue.append(Pending(request: request, completion: completion))
            defer { state.threadStarted = true }
            return (true, !state.threadStarted)
        }
        guard outcome.accepted else {
            completion(.failure(.unavailable("terminal closed")))
            return
        }
        if outcome.start { startThread() }
        wake()
    }

    /// Ends the thread; waiting requests fail with `Unavailable` "terminal closed".
    func stop() {
        state.withLock { $0.stopped = true }
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = POSIX.write(wakeWrite, &byte, 1)
    }

    private func startThread() {
        let result = POSIX.detachThread { [self] in run() }
        guard result != 0 else { return }
        state.withLock { $0.failure = .internal("cannot start the terminal reader: \(POSIX.describe(result))") }
        serveAndReport()
    }

    // MARK: - The reader thread

    private func run() {
        while true {
            if serveAndReport() { return }
            let waiting = state.withLock { !$0.queue.isEmpty }
            let watched = waiting ? [wakeRead, input] : [wakeRead]
            guard let ready = POSIX.poll(watched, events: POSIX.readable) else {
                let code = POSIX.lastError
                state.withLock { $0.failure = .internal("terminal poll failed: \(POSIX.describe(code))") }
                continue
            }
            if ready[0] { drainWakePipe() }
            if waiting && ready[1] { readInput() }
        }
    }

    /// Serves every request the buffer can answer and runs their completions. Returns true when stopped.
    @discardableResult
    private func serveAndReport() -> Bool {
        let (finished, stopped) = state.withLock { state -> ([(Pending, TerminalReadResult)], Bool) in
            var finished: [(Pending, TerminalReadResult)] = []
            if state.stopped {
                finished = state.queue.map { ($0, .failure(.unavailable("terminal closed"))) }
                state.queue.removeAll()
                return (finished, true)
            }
            while let pending = state.queue.first, let result = Self.serve(pending.request, from: &state) {
                state.queue.removeFirst()
                finished.append((pending, result))
            }
            return (finished, false)
        }
        for (pending, result) in finished { pending.completion(result) }
        return stopped
    }

    /// The answer to `request` from the buffered input, or nil when more input is needed.
    private static func serve(_ request: Request, from state: inout State) -> TerminalReadResult? {
        switch request {
        case .line:
            if let newline = state.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(state.buffer[..<newline])
                state.buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return .data(line)
            }
        case .bytes(let count):
            if !state.buffer.isEmpty {
                let taken = Array(state.buffer.prefix(count))
                state.buffer.removeFirst(taken.count)
                return .data(taken)
            }
        }
        if let failure = state.failure { return .failure(failure) }
        guard state.endOfFile else { return nil }
        if state.buffer.isEmpty { return .endOfFile }
        defer { state.buffer.removeAll() }
        return .data(state.buffer)
    }

    private func readInput() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { POSIX.read(input, $0.baseAddress, $0.count) }
        if count < 0 {
            let code = POSIX.lastError
            if code == POSIX.interrupted || code == POSIX.wouldBlock { return }
            state.withLock { $0.failure = .internal("terminal read failed: \(POSIX.describe(code))") }
            return
        }
        state.withLock { state in
            if count == 0 { state.endOfFile = true } else { state.buffer.append(contentsOf: chunk[..<count]) }
        }
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while scratch.withUnsafeMutableBytes({ POSIX.read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
    }
}
