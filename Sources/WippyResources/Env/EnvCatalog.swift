public import WippyCore

/// The declared storages and variables (lua-api-io §8.1), and the rules that read and write through them.
/// A value: the env kind stages a changed copy while a registry changeset is prepared, and the placeholder
/// lookups of that changeset read the copy.
public struct EnvCatalog: Sendable {
    public private(set) var storages: [EntryID: EnvStorageSlot] = [:]
    public private(set) var variables: [EntryID: EnvVariable] = [:]
    /// Public name → variable.
    public private(set) var names: [String: EntryID] = [:]

    public init() {}

    // MARK: - Changes

    public mutating func setStorage(_ id: EntryID, _ slot: EnvStorageSlot?) { storages[id] = slot }

    /// Adds or replaces `variable`.
    ///
    /// - Throws: `AlreadyExists` when another variable has its public name.
    public mutating func setVariable(_ variable: EnvVariable) throws(WippyError) {
        if let name = variable.publicName, let other = names[name], other != variable.id {
            throw WippyError("variable name '\(name)' is already used by \(other)", kind: .alreadyExists, retryable: false)
        }
        removeVariable(variable.id)
        variables[variable.id] = variable
        if let name = variable.publicName { names[name] = variable.id }
    }

    public mutating func removeVariable(_ id: EntryID) {
        guard let old = variables.removeValue(forKey: id) else { return }
        if let name = old.publicName, names[name] == id { names[name] = nil }
    }

    // MARK: - Resolution

    /// The variable `name` designates: its public name, an entry ID `ns:name`, or (for a bare name) the
    /// entry `<namespace>:<name>`.
    public func variable(named name: String, namespace: String? = nil) -> EnvVariable? {
        if let id = names[name], let variable = variables[id] { return variable }
        if name.contains(":") { return variables[EntryID(parsing: name)] }
        if let namespace { return variables[EntryID(namespace: namespace, name: name)] }
        return nil
    }

    /// The stored value of `key` in the storage `id` (a router tries its storages in order).
    public func read(storage id: EntryID, key: String, depth: Int = 0) throws(WippyError) -> String? {
        guard depth < 16 else { throw WippyError.invalid("env storage \(id): routers nest too deeply (a cycle?)") }
        switch storages[id] {
        case nil:
            throw WippyError("env storage \(id) does not exist", kind: .notFound, retryable: false)
        case .values(let storage):
            return try storage.value(key)
        case .router(let members):
            for member in members {
                if let value = try read(storage: member, key: key, depth: depth + 1), !value.isEmpty { return value }
            }
            return nil
        }
    }

    /// The storage a write to `id` lands in (a router's first storage).
    public func writable(storage id: EntryID, depth: Int = 0) throws(WippyError) -> any EnvStorage {
        guard depth < 16 else { throw WippyError.invalid("env storage \(id): routers nest too deeply (a cycle?)") }
        switch storages[id] {
        case nil:
            throw WippyError("env storage \(id) does not exist", kind: .notFound, retryable: false)
        case .values(let storage):
            return storage
        case .router(let members):
            guard let first = members.first else {
                throw WippyError("env storage \(id) (router) has no storages to write to", kind: .permissionDenied, retryable: false)
            }
            return try writable(storage: first, depth: depth + 1)
        }
    }

    /// `env.get`: the variable's stored value, or its default when the storage has none (an empty string
    /// counts as none).
    ///
    /// - Throws: `Invalid` for an empty name; `NotFound` for an unknown variable, or one without a value or default.
    public func get(_ name: String, namespace: String? = nil) throws(WippyError) -> String {
        guard !name.isEmpty else { throw WippyError.invalid("variable name is empty") }
        guard let variable = variable(named: name, namespace: namespace) else {
            throw WippyError("environment variable '\(name)' is not declared (no env.variable entry has this name or ID)", kind: .notFound, retryable: false)
        }
        if let value = try read(storage: variable.storage, key: variable.key), !value.isEmpty { return value }
        if let fallback = variable.defaultValue { return fallback }
        throw WippyError("environment variable '\(name)' has no value and no default", kind: .notFound, retryable: false)
    }

    /// `env.set`: writes through the variable's storage.
    ///
    /// - Throws: `Invalid` for an empty name; `NotFound` for an unknown variable; `PermissionDenied` for a
    ///   read-only variable or storage.
    public func set(_ name: String, _ value: String, namespace: String? = nil) throws(WippyError) {
        guard !name.isEmpty else { throw WippyError.invalid("variable name is empty") }
        guard let variable = variable(named: name, namespace: namespace) else {
            throw WippyError("environment variable '\(name)' is not declared (no env.variable entry has this name or ID)", kind: .notFound, retryable: false)
        }
        if variable.readOnly {
            throw WippyError("environment variable '\(name)' (\(variable.id)) is read-only", kind: .permissionDenied, retryable: false)
        }
        let storage = try writable(storage: variable.storage)
        try storage.set(variable.key, value)
    }

    /// `env.get_all`: the raw contents of every storage that holds values, merged (later storage IDs win
    /// on duplicates, so the result does not depend on hashing). Defaults are not included.
    public func all() -> [String: String] {
        var result: [String: String] = [:]
        for id in storages.keys.sorted() {
            guard case .values(let storage)? = storages[id], let values = try? storage.all() else { continue }
            result.merge(values) { _, new in new }
        }
        return result
    }

    /// The value of a `${env:NAME}` placeholder: a declared variable (public name or entry ID) with its
    /// default; nil when no variable is declared under `name` or it has neither value nor default.
    public func placeholderValue(_ name: String) -> String? {
        guard let variable = variable(named: name) else { return nil }
        if let value = try? read(storage: variable.storage, key: variable.key), !value.isEmpty { return value }
        return variable.defaultValue
    }
}
