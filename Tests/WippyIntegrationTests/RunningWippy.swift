import Foundation
import Synchronization

/// A `wippy` process running in the background whose output a test waits on (no polling): reader threads
/// collect stdout and stderr and wake the waiters, the termination handler reports the exit.
final class RunningWippy: Sendable {
    enum Stream: Sendable { case stdout, stderr }

    private struct State {
        var stdout = ""
        var stderr = ""
        var status: Int32?
        /// Output streams not yet at their end.
        var openStreams = 2
        /// Ended, and everything it wrote has been read.
        var finished: Bool { status != nil && openStreams == 0 }
        var waiters: [UUID: (condition: @Sendable (State) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]
        /// Signals to send as soon as their text appears on stdout (``signal(_:when:)``).
        var triggers: [(text: String, signal: Int32)] = []
    }

    private let state = Mutex(State())
    let pid: Int32

    init(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: WippyBinary.path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let box = Box()
        process.terminationHandler = { ended in box.running?.update { $0.status = ended.terminationStatus } }
        try process.run()
        pid = process.processIdentifier
        box.running = self
        // A status set before `box.running` was (a very quick exit) is read here.
        if !process.isRunning { update { $0.status = process.terminationStatus } }
        read(out.fileHandleForReading, into: .stdout)
        read(err.fileHandleForReading, into: .stderr)
    }

    /// Kills the process if it still runs.
    deinit {
        if state.withLock({ $0.status == nil }) { kill(pid, SIGKILL) }
    }

    private final class Box: @unchecked Sendable {
        weak var running: RunningWippy?
    }

    private func read(_ handle: FileHandle, into stream: Stream) {
        Thread.detachNewThread { [weak self] in
            while true {
                let chunk = handle.availableData
                guard let self else { return }
                if chunk.isEmpty {
                    self.update { $0.openStreams -= 1 }
                    return
                }
                let text = String(decoding: chunk, as: UTF8.self)
                self.update { state in
                    switch stream {
                    case .stdout: state.stdout += text
                    case .stderr: state.stderr += text
                    }
                }
            }
        }
    }

    private func update(_ change: (inout State) -> Void) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            change(&state)
            if !state.triggers.isEmpty {
                let stdout = state.stdout
                let fired = state.triggers.filter { stdout.contains($0.text) }
                state.triggers.removeAll { stdout.contains($0.text) }
                for trigger in fired { kill(pid, trigger.signal) }
            }
            let snapshot = state
            var ready: [CheckedContinuation<Bool, Never>] = []
            for (id, waiter) in state.waiters where waiter.condition(snapshot) {
                ready.append(waiter.continuation)
                state.waiters[id] = nil
            }
            return ready
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    var stdout: String { state.withLock { $0.stdout } }
    var stderr: String { state.withLock { $0.stderr } }
    var status: Int32? { state.withLock { $0.status } }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Sends `signal` from the reader thread the moment `text` appears on stdout: no wait for a task to be
    /// scheduled (the test pool may be busy), so the signal lands at that point of the run.
    func signal(_ signal: Int32, when text: String) {
        let now = state.withLock { state -> Bool in
            if state.stdout.contains(text) { return true }
            state.triggers.append((text, signal))
            return false
        }
        if now { kill(pid, signal) }
    }

    /// Waits until `text` appears on `stream`, at most `limit`.
    func waitFor(_ text: String, on stream: Stream = .stdout, within limit: Duration = .seconds(20)) async -> Bool {
        await wait(within: limit) { state in (stream == .stdout ? state.stdout : state.stderr).contains(text) }
    }

    /// Waits for the exit (and the end of its output), at most `limit`; the exit status, or nil if it
    /// still runs.
    func exit(within limit: Duration = .seconds(20)) async -> Int32? {
        _ = await wait(within: limit) { $0.finished }
        return status
    }

    private func wait(within limit: Duration, until condition: @escaping @Sendable (State) -> Bool) async -> Bool {
        let id = UUID()
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let met = self.state.withLock { state -> Bool in
                        if condition(state) { return true }
                        state.waiters[id] = (condition, continuation)
                        return false
                    }
                    if met { continuation.resume(returning: true) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            if !first {
                // Time is up: release the waiter (its condition is not met).
                state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
            }
            group.cancelAll()
            return first
        }
    }
}
