/// Writing `wippy.lock` in the layout Go's yaml.v3 produces (4-space indentation).
extension LockFile {
    /// The lock as YAML text: `directories`, then `modules` (sorted by name, deduplicated by `name@version`;
    /// left out when empty), then `options` (left out when all defaults).
    public func yamlText() -> String {
        var lines = ["directories:"]
        lines.append("    modules: \(Self.scalar(modulesDirectory))")
        lines.append("    src: \(Self.scalar(sourceDirectory))")
        let modules = normalizedModules
        if !modules.isEmpty {
            lines.append("modules:")
            for module in modules {
                lines.append("    - name: \(Self.scalar(module.name))")
                lines.append("      version: \(Self.scalar(module.version))")
                lines.append("      hash: \(Self.scalar(module.hash))")
                if let localHash = module.localHash { lines.append("      local_hash: \(Self.scalar(localHash))") }
            }
        }
        if unpackModules {
            lines.append("options:")
            lines.append("    unpack_modules: true")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Modules sorted by name (then version) with duplicate `name@version` pairs removed (the first is kept).
    public var normalizedModules: [LockedModule] {
        var seen: Set<String> = []
        var unique: [LockedModule] = []
        for module in modules where seen.insert(module.name + "@" + module.version).inserted {
            unique.append(module)
        }
        return unique.sorted {
            $0.name != $1.name ? ProjectPath.precedes($0.name, $1.name) : ProjectPath.precedes($0.version, $1.version)
        }
    }

    /// Writes ``yamlText()`` to `path` with file mode 0600.
    public func write(to path: String) throws(ProjectError) {
        try ProjectFileSystem.write(yamlText(), to: ProjectPath.absolute(path), permissions: 0o600)
    }

    /// A string as a YAML scalar: plain when that reads back as the same string, else double-quoted.
    static func scalar(_ text: String) -> String {
        if isSafePlain(text) { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    quoted += "\\x" + String(repeating: "0", count: max(0, 2 - hex.count)) + hex
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }

    private static func isSafePlain(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, YAMLScalarResolver.isPlainString(text) else { return false }
        func allowed(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "_./".unicodeScalars.contains(c)
        }
        guard allowed(first) else { return false }
        return text.unicodeScalars.allSatisfy { allowed($0) || "@+-".unicodeScalars.contains($0) }
    }
}
