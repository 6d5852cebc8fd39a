/// A module pinned in `wippy.lock`: `name` (`org/module`), `version` and content `hash`.
public struct LockedModule: Sendable, Equatable, Hashable {
    /// `org/module`.
    public var name: String
    /// The pinned version, e.g. `v1.2.0`.
    public var version: String
    /// Manifest/content digest recorded at install time.
    public var hash: String
    /// Optional digest computed from the loaded entries (`local_hash`).
    public var localHash: String?

    public init(name: String, version: String, hash: String = "", localHash: String? = nil) {
        self.name = name
        self.version = version
        self.hash = hash
        self.localHash = localHash
    }

    /// The organisation and module parts of ``name``, when it has the `org/module` form with safe parts.
    public var nameParts: (organization: String, module: String)? {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\\") }) else {
            return nil
        }
        return (parts[0], parts[1])
    }
}
