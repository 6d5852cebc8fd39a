import Logging
import Synchronization

/// Log records kept in order, for tests that check what an application logged.
final class LogLines: Sendable {
    private let records = Mutex<[(level: Logger.Level, message: String)]>([])

    func append(_ level: Logger.Level, _ message: String) { records.withLock { $0.append((level, message)) } }
    /// Every record as `level message`.
    var all: [String] { records.withLock { $0.map { "\($0.level) \($0.message)" } } }
    /// Every message, without its level.
    var messages: [String] { records.withLock { $0.map(\.message) } }
    var errors: [String] { all.filter { $0.hasPrefix("error ") } }
    var infos: [String] { all.filter { $0.hasPrefix("info ") } }
    /// How many times exactly `message` was logged.
    func count(_ message: String) -> Int { records.withLock { $0.filter { $0.message == message }.count } }
}

/// A log handler writing into ``LogLines`` (info and above).
struct LinesHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { lines.append(event.level, "\(event.message)") }
}
