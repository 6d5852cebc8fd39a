import WippyCore
import WippyResources

/// What an `env.storage.*` or `env.variable` entry declares (lua-api-io §8.1), decoded with errors naming
/// the field. Placeholders were expanded by the registry before (``WippyResources/EnvEntryExpander``).
enum EnvEntryConfig: Sendable, Equatable {
    case memory
    case file(path: String, autoCreate: Bool, fileMode: Int, dirMode: Int)
    case os
    case staticValues([String: String])
    case router([EntryID])
    case variable(EnvVariable)

    static let kinds: Set<String> = [
        "env.storage.memory", "env.storage.file", "env.storage.os", "env.storage.static", "env.storage.router", "env.variable",
    ]

    /// Placeholders are already expanded (the registry's ``WippyResources/EnvEntryExpander``): text stays as it is.
    static let expanded = EnvironmentLookup({ _ in nil }, expandsPlaceholders: false)

    static func decode(_ entry: Entry, projectRoot: String) throws(WippyError) -> EnvEntryConfig {
        let namespace = entry.id.namespace
        func fields(_ allowed: Set<String>) throws(WippyError) -> ConfigFields {
            try ConfigFields(entry.data, path: "", allowed: allowed.union(["lifecycle"]), environment: expanded)
        }
        switch entry.kind {
        case "env.storage.memory":
            _ = try fields([])
            return .memory
        case "env.storage.os":
            _ = try fields([])
            return .os
        case "env.storage.file":
            let data = try fields(["file_path", "auto_create", "file_mode", "dir_mode"])
            guard let path = try data.string("file_path"), !path.isEmpty else {
                throw data.missing("file_path", "the path of the .env file, relative to the project root")
            }
            return .file(
                path: ProjectPath.join(ProjectPath.absolute(projectRoot.isEmpty ? "." : projectRoot), path), autoCreate: try data.bool("auto_create") ?? false,
                fileMode: try mode(data, "file_mode", default: 0o644), dirMode: try mode(data, "dir_mode", default: 0o755))
        case "env.storage.static":
            let data = try fields(["values"])
            return .staticValues(try data.textMap("values"))
        case "env.storage.router":
            let data = try fields(["storages"])
            guard let list = data.value("storages")?.tableValue, list.fields.isEmpty else {
                throw data.missing("storages", "a list of env storage IDs")
            }
            var ids: [EntryID] = []
            for (index, item) in list.array.enumerated() {
                guard let text = item.stringValue, !text.isEmpty else {
                    throw WippyError.invalid("'storages[\(index + 1)]' must be an env storage ID (got \(ConfigFields.describe(item)))")
                }
                ids.append(EntryID.resolve(text, in: namespace))
            }
            return .router(ids)
        case "env.variable":
            // `read_only` is what Wippy example 15 writes; Wippy ignores it (the key is `readonly`), and so do we.
            let data = try fields(["variable", "storage", "default", "readonly", "read_only"])
            let name = try data.string("variable")
            if let name, !EnvVariable.isValidName(name) {
                throw WippyError.invalid("'variable' must be letters, digits and '_' (got \"\(name)\")")
            }
            guard let storage = try data.entryID("storage", in: namespace) else {
                throw data.missing("storage", "the ID of the env storage holding the value")
            }
            let fallback: String?
            switch data.value("default") {
            case nil: fallback = nil
            case .string(let text)?: fallback = text
            case .int, .double, .bool: fallback = data.value("default")?.description
            case let other?: throw data.wrong("default", "text", other)
            }
            return .variable(
                EnvVariable(
                    id: entry.id, publicName: name?.isEmpty == true ? nil : name, storage: storage, defaultValue: fallback,
                    readOnly: try data.bool("readonly") ?? false))
        default:
            throw WippyError.invalid("kind '\(entry.kind)' is not an env kind")
        }
    }

    /// A file mode: an octal string (`"0600"`) or a number (YAML reads `0600` as octal already).
    static func mode(_ data: ConfigFields, _ key: String, default fallback: Int) throws(WippyError) -> Int {
        guard let value = data.value(key) else { return fallback }
        if case .string(let text) = value {
            let digits = text.hasPrefix("0o") ? text.dropFirst(2) : Substring(text)
            guard let mode = Int(digits, radix: 8), mode >= 0, mode <= 0o7777 else {
                throw data.wrong(key, "an octal file mode such as \"0644\"", value)
            }
            return mode
        }
        guard let number = value.intValue, number >= 0, number <= 0o7777 else {
            throw data.wrong(key, "an octal file mode such as \"0644\"", value)
        }
        return Int(number)
    }
}
