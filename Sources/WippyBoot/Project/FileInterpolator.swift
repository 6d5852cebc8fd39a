public import WippyCore

/// Replaces `file://` references in loaded definitions by the contents of the files they name.
///
/// Every string value anywhere in a definition is looked at (map keys are not). A string that starts with
/// `file://` names a file:
/// - `file://relative/path` is resolved against the directory of the definition file;
/// - `file:///path` is resolved against the root of the loaded tree (the source directory or module root),
///   not the OS root.
///
/// Paths are cleaned, and one that ends up outside the tree root is rejected as a path traversal. Text that is
/// valid UTF-8 becomes a string; anything else becomes bytes.
public struct FileInterpolator: Sendable {
    /// The prefix that marks a reference.
    public static let scheme = "file://"

    /// Absolute path of the loaded tree (the `file:///` root and the traversal boundary).
    public var treeRoot: String
    /// Absolute path of the directory holding the definition file (the base of relative references).
    public var baseDirectory: String
    /// Absolute project root; recorded and reported paths are relative to it.
    public var projectRoot: String
    /// The definition file as shown in errors.
    public var file: String

    public init(treeRoot: String, baseDirectory: String, projectRoot: String, file: String) {
        self.treeRoot = ProjectPath.clean(treeRoot)
        self.baseDirectory = ProjectPath.clean(baseDirectory)
        self.projectRoot = ProjectPath.clean(projectRoot)
        self.file = file
    }

    /// A file that was inlined: the dotted path of the field that referred to it and the file's path.
    public struct Inlined: Sendable, Equatable {
        /// Field path inside the interpolated value: keys joined with `.`, list items as 1-based indexes.
        public var field: String
        /// The inlined file, relative to the project root when it lies inside it.
        public var path: String
    }

    /// Interpolates every string in `value`; `line` and `entry` are used in errors.
    public func interpolate(
        _ value: Payload, line: Int?, entry: String?, inlined: inout [Inlined]
    ) throws(ProjectError) -> Payload {
        var path: [String] = []
        return try walk(value, path: &path, line: line, entry: entry, inlined: &inlined)
    }

    private func walk(
        _ value: Payload, path: inout [String], line: Int?, entry: String?, inlined: inout [Inlined]
    ) throws(ProjectError) -> Payload {
        switch value {
        case .string(let text) where text.hasPrefix(Self.scheme):
            let (contents, file) = try read(reference: text, line: line, entry: entry)
            inlined.append(Inlined(field: path.joined(separator: "."), path: file))
            return contents
        case .table(var table):
            for index in table.array.indices {
                path.append(String(index + 1))
                table.array[index] = try walk(table.array[index], path: &path, line: line, entry: entry, inlined: &inlined)
                path.removeLast()
            }
            for index in table.fields.indices {
                path.append(table.fields[index].key.description)
                table.fields[index].value = try walk(table.fields[index].value, path: &path, line: line, entry: entry, inlined: &inlined)
                path.removeLast()
            }
            return .table(table)
        default:
            return value
        }
    }

    /// Resolves a `file://` reference to an absolute path inside the tree, or fails.
    public func resolve(reference: String, line: Int? = nil, entry: String? = nil) throws(ProjectError) -> String {
        let raw = String(reference.dropFirst(Self.scheme.count)).trimmingReferenceWhitespace()
        guard !raw.isEmpty else {
            throw ProjectError("empty file:// reference", file: file, line: line, entry: entry)
        }
        let resolved: String
        if raw.hasPrefix("/") {
            resolved = ProjectPath.join(treeRoot, String(raw.drop { $0 == "/" }))
        } else {
            resolved = ProjectPath.join(baseDirectory, raw)
        }
        guard ProjectPath.isInside(resolved, root: treeRoot) else {
            throw ProjectError(
                "path traversal: \(reference) resolves outside \(display(treeRoot))", file: file, line: line, entry: entry)
        }
        return resolved
    }

    private func read(reference: String, line: Int?, entry: String?) throws(ProjectError) -> (Payload, String) {
        let resolved = try resolve(reference: reference, line: line, entry: entry)
        let shown = display(resolved)
        let raw = String(reference.dropFirst(Self.scheme.count)).trimmingReferenceWhitespace()
        switch ProjectFileSystem.kind(of: resolved) {
        case .missing:
            throw ProjectError("source file not found: \(raw) (resolved to \(shown))", file: file, line: line, entry: entry)
        case .directory:
            throw ProjectError("source path is a directory: \(raw) (resolved to \(shown))", file: file, line: line, entry: entry)
        case .file:
            guard let bytes = ProjectFileSystem.contents(of: resolved) else {
                throw ProjectError("cannot read source file: \(raw) (resolved to \(shown))", file: file, line: line, entry: entry)
            }
            if let text = String(validating: bytes, as: UTF8.self) { return (.string(text), shown) }
            return (.bytes(bytes), shown)
        }
    }

    private func display(_ path: String) -> String {
        ProjectPath.relative(path, to: projectRoot)
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines (for `file://` paths).
    fileprivate func trimmingReferenceWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}
