/// A failure while loading a project: a malformed lock or definition file, an invalid or duplicate entry,
/// a `file://` reference that cannot be read, or a module that cannot be found.
///
/// The error names the place it comes from, so that a boot failure can be reported on one line:
///
///     src/app/_index.yaml:12: entry app:worker: source file not found: worker.lua (resolved to src/app/worker.lua)
public struct ProjectError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file at fault (relative to the project root when it lies inside it), if any.
    public var file: String?
    /// The 1-based line in ``file``, when known.
    public var line: Int?
    /// The entry at fault (`namespace:name`, or a description such as `app:#3` when the name is unknown).
    public var entry: String?
    /// What went wrong, without the location.
    public var message: String

    public init(_ message: String, file: String? = nil, line: Int? = nil, entry: String? = nil) {
        self.message = message
        self.file = file
        self.line = line
        self.entry = entry
    }

    /// `file:line: entry ns:name: message`, leaving out the parts that are unknown.
    public var description: String {
        var text = ""
        if let file {
            text += file
            if let line { text += ":\(line)" }
            text += ": "
        }
        if let entry { text += "entry \(entry): " }
        return text + message
    }
}
