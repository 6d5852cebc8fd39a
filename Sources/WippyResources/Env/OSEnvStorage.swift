public import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// `env.storage.os`: the environment of this process, read-only (`set` ⇒ `PermissionDenied`).
public final class OSEnvStorage: EnvStorage {
    let id: EntryID

    public init(id: EntryID) { self.id = id }

    public func value(_ key: String) -> String? { OSEnvStorage.get(key) }

    public func set(_ key: String, _ value: String) throws(WippyError) {
        throw WippyError(
            "env storage \(id) (env.storage.os) is read-only: the OS environment cannot be changed", kind: .permissionDenied,
            retryable: false)
    }

    public func all() -> [String: String] { OSEnvStorage.environment() }
    public var isReadOnly: Bool { true }

    /// One variable of the process environment.
    public static func get(_ key: String) -> String? {
        guard !key.isEmpty, let raw = getenv(key) else { return nil }
        return String(cString: raw)
    }

    /// The whole process environment.
    public static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
