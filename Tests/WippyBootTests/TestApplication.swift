import Foundation
import Logging
import Synchronization
import Testing
import WippyBoot
import WippyCore
import WippyModules

/// A booted, started application on a temporary project made of one `src/_index.yaml`, its log messages
/// recorded (``LogSignals``: counted, or waited for); stopped and removed when released.
class TestApplication {
    let project: TemporaryProject
    let app: Application
    let log = LogSignals()

    /// `prepare` runs on the project before the application boots (e.g. to leave a store behind, as a
    /// runtime killed earlier would).
    init(index: String, history: RegistryHistoryMode, prepare: (TemporaryProject) throws -> Void = { _ in }) throws {
        project = try TemporaryProject()
        try project.writeLock()
        try project.write("src/_index.yaml", index)
        try prepare(project)
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = history
        let log = self.log
        let logger = Logger(label: "test") { _ in SignalsHandler(signals: log) }
        app = try Application(options: options, modules: StandardModules.all(terminal: nil), logger: logger)
        app.start()
    }

    private var stopped = false

    /// Stops the application holding no thread. Async tests whose app runs HTTP servers call it: the
    /// blocking ``deinit`` shutdown would hold a thread of the concurrency pool that stopping a server
    /// needs (two such at once on a 2-core machine stalled every test until the shutdown timeout).
    func stop() async {
        await app.stop()
        stopped = true
    }

    /// An application still running is shut down on a thread of its own: its blocking shutdown must not hold
    /// a thread of the concurrency pool (where the last reference usually dies), which stopping its HTTP
    /// servers and other tests' work need.
    deinit {
        nonisolated(unsafe) let (app, project, stopped) = (app, project, stopped)
        Thread.detachNewThread {
            if !stopped { app.shutdown() }
            project.remove()
        }
    }
}

/// Log messages as they arrive, for tests that wait for one (no polling).
final class LogSignals: Sendable {
    private struct State {
        var messages: [String] = []
        var waiters: [(prefix: String, continuation: CheckedContinuation<String?, Never>)] = []
    }

    private let state = Mutex(State())

    func append(_ message: String) {
        let ready = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            state.messages.append(message)
            let ready = state.waiters.filter { message.hasPrefix($0.prefix) }.map(\.continuation)
            state.waiters.removeAll { message.hasPrefix($0.prefix) }
            return ready
        }
        for continuation in ready { continuation.resume(returning: message) }
    }

    var messages: [String] { state.withLock { $0.messages } }

    /// How many times exactly `message` was logged.
    func count(_ message: String) -> Int { state.withLock { $0.messages.filter { $0 == message }.count } }

    func first(_ prefix: String) -> String? { messages.first { $0.hasPrefix(prefix) } }

    /// The port `http.service` `app:<server>` serves on: its latest "listening on" line once the supervisor
    /// took the service as running. Not simply the first such line: on a loaded machine a start can pass its
    /// `start_timeout`, and the service then starts again on another port (port 0 in the tests).
    func servingPort(_ server: String = "gateway", within limit: Duration = .seconds(120)) async -> Int? {
        guard await wait(for: "service app:\(server) is running", within: limit) != nil else { return nil }
        guard let line = messages.last(where: { $0.hasPrefix("http server app:\(server) listening on") }) else { return nil }
        return Int(line.split(separator: ":").last ?? "")
    }

    /// The first message starting with `prefix`, waiting for it up to `limit`; nil when none came.
    func wait(for prefix: String, within limit: Duration = .seconds(20)) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let found = self.state.withLock { state -> String? in
                        if let found = state.messages.first(where: { $0.hasPrefix(prefix) }) { return found }
                        state.waiters.append((prefix, continuation))
                        return nil
                    }
                    if let found { continuation.resume(returning: found) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { release(prefix) }
            group.cancelAll()
            return first
        }
    }

    private func release(_ prefix: String) {
        let waiting = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            let waiting = state.waiters.filter { $0.prefix == prefix }.map(\.continuation)
            state.waiters.removeAll { $0.prefix == prefix }
            return waiting
        }
        for continuation in waiting { continuation.resume(returning: nil) }
    }
}

/// A log handler feeding ``LogSignals``.
struct SignalsHandler: LogHandler {
    let signals: LogSignals
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { signals.append("\(event.message)") }
}
