public import Logging
import Synchronization
import WippyCodecs
import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes log records as single console lines: `time LEVEL message {"key": value, ...}`.
public struct ConsoleLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let descriptor: Int32

    private static let lock = Mutex(())

    public init(label: String, level: Logger.Level, descriptor: Int32 = 1) {
        self.label = label
        self.logLevel = level
        self.descriptor = descriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line = GoTime.now().format("2006-01-02T15:04:05.000Z07:00")
        line += " "
        line += ConsoleLogHandler.levelName(event.level)
        line += " "
        line += event.message.description
        if !fields.isEmpty {
            line += " {"
            line += fields.keys.sorted().map { "\"\($0)\": \(ConsoleLogHandler.render(fields[$0]!))" }.joined(separator: ", ")
            line += "}"
        }
        line += "\n"
        ConsoleLogHandler.lock.withLock { _ in
            var text = line
            text.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: return "DEBUG"
        case .info, .notice: return "INFO "
        case .warning: return "WARN "
        case .error: return "ERROR"
        case .critical: return "FATAL"
        }
    }

    static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): return (try? JSONCodec.encodeString(.string(text))) ?? "\"\""
        case .stringConvertible(let item): return "\(item)"
        case .array(let items): return "[" + items.map(render).joined(separator: ", ") + "]"
        case .dictionary(let items):
            return "{" + items.keys.sorted().map { "\"\($0)\": \(render(items[$0]!))" }.joined(separator: ", ") + "}"
        }
    }
}
