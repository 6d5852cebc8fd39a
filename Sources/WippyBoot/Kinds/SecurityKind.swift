import HashTreeCollections
import WippyCodecs
import WippyCore
import WippyResources

/// The registry handler of `security.policy` and `security.token_store` entries (lua-api-io §6.5), as far
/// as the HTTP middlewares read them: policies (actions, resources, effect, conditions) and token stores
/// (the `store.*` entry keeping token records). Decoded when prepared (a bad entry rejects the changeset,
/// naming the field); the committed set is published in a ``WippyResources/SecurityCatalog`` at commit.
/// `security.policy.expr` entries are policies whose condition is an expression (``PolicyExpression``).
final class SecurityKind: RegistryParticipant, @unchecked Sendable {
    static let kinds: Set<String> = ["security.policy", "security.policy.expr", "security.token_store"]

    enum Config: Equatable {
        case policy(SecurityPolicy)
        case tokenStore(SecurityCatalog.TokenStore)
    }

    let catalog: SecurityCatalog
    // Only the applying thread touches these.
    private var committed: [EntryID: Config] = [:]
    private var changed: [EntryID: Config?] = [:]

    init(catalog: SecurityCatalog) { self.catalog = catalog }

    func handles(kind: String) -> Bool { Self.kinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        guard change.kind != .delete else {
            changed[change.id] = .some(nil)
            return
        }
        changed[change.id] = try Self.decode(change.entry)
    }

    func finish(_ transaction: RegistryTransaction) throws(WippyError) {
        for (id, config) in changed {
            guard case .tokenStore(let store)? = config else { continue }
            guard let backend = transaction.working[store.store], backend.kind.hasPrefix("store.") else {
                throw WippyError("entry \(id): 'store': \(store.store) is not a store.* entry", kind: .invalid, retryable: false)
            }
        }
    }

    func commit(_ transaction: RegistryTransaction) {
        for (id, config) in changed { committed[id] = config }
        changed = [:]
        var policies: [String: SecurityPolicy] = [:]
        var stores: [String: SecurityCatalog.TokenStore] = [:]
        for (id, config) in committed {
            switch config {
            case .policy(let policy): policies[id.description] = policy
            case .tokenStore(let store): stores[id.description] = store
            }
        }
        catalog.replace(policies: policies, tokenStores: stores)
    }

    func discard(_ transaction: RegistryTransaction) { changed = [:] }

    static func decode(_ entry: Entry) throws(WippyError) -> Config {
        let environment = EnvEntryConfig.expanded
        switch entry.kind {
        case "security.policy.expr":
            let fields = try ConfigFields(entry.data, path: "", allowed: ["policy", "groups", "lifecycle"], environment: environment)
            let policy = try ConfigFields(
                fields.value("policy"), path: "policy", allowed: ["actions", "resources", "effect", "expression"], environment: environment)
            guard let source = try policy.string("expression"), !source.allSatisfy(\.isWhitespace) else {
                throw policy.missing("expression", "a condition such as 'actor.meta.role == \"editor\" && action == \"write\"'")
            }
            let expression: PolicyExpression
            do throws(WippyError) {
                expression = try PolicyExpression(parsing: source)
            } catch {
                throw WippyError.invalid("'policy.expression': \(error.message)")
            }
            return .policy(
                SecurityPolicy(
                    id: entry.id.description, actions: try names(policy, "actions"), resources: try names(policy, "resources"),
                    effect: try effect(policy), expression: expression))
        case "security.token_store":
            let fields = try ConfigFields(
                entry.data, path: "", allowed: ["store", "token_length", "default_expiration", "token_key", "token_key_env", "lifecycle"],
                environment: environment)
            guard let store = try fields.entryID("store", in: entry.id.namespace) else {
                throw fields.missing("store", "the store.* entry that keeps the tokens")
            }
            _ = try fields.count("token_length")
            let expiration = try fields.duration("default_expiration") ?? .seconds(86400)
            return .tokenStore(.init(store: store, defaultExpiration: expiration))
        default:
            let fields = try ConfigFields(entry.data, path: "", allowed: ["policy", "groups", "lifecycle"], environment: environment)
            let policy = try ConfigFields(
                fields.value("policy"), path: "policy", allowed: ["actions", "resources", "effect", "conditions"], environment: environment)
            let actions = try names(policy, "actions")
            let resources = try names(policy, "resources")
            let effect = try effect(policy)
            var conditions: [SecurityPolicy.Condition] = []
            if let list = policy.value("conditions") {
                guard let items = list.tableValue?.array else { throw policy.wrong("conditions", "a list of conditions", list) }
                for (index, item) in items.enumerated() {
                    let condition = try ConfigFields(
                        item, path: "policy.conditions[\(index + 1)]", allowed: ["field", "operator", "value", "value_from"], environment: environment)
                    guard let field = try condition.string("field"), !field.isEmpty else { throw condition.missing("field", "actor.id, actor.meta.<key>, action, resource") }
                    let operatorText = try condition.string("operator") ?? "eq"
                    guard let op = SecurityPolicy.Condition.Operator(rawValue: operatorText) else {
                        let known = SecurityPolicy.Condition.Operator.allCases.map(\.rawValue).joined(separator: ", ")
                        throw WippyError.invalid("'policy.conditions[\(index + 1)].operator' \(operatorText) is not supported (one of \(known))")
                    }
                    var values: [String] = []
                    if let value = condition.value("value") {
                        for item in value.tableValue?.array ?? [value] {
                            if let text = item.stringValue { values.append(text) } else if let flag = item.boolValue { values.append(flag ? "true" : "false") }
                            else if let number = item.doubleValue { values.append(number == number.rounded() ? String(Int64(number)) : String(number)) }
                        }
                    }
                    conditions.append(.init(field: field, op: op, values: values, valueFrom: try condition.string("value_from")))
                }
            }
            return .policy(SecurityPolicy(id: entry.id.description, actions: actions, resources: resources, effect: effect, conditions: conditions))
        }
    }

    /// `allow` or `deny`.
    private static func effect(_ policy: ConfigFields) throws(WippyError) -> SecurityPolicy.Effect {
        guard let text = try policy.string("effect"), let effect = SecurityPolicy.Effect(rawValue: text) else {
            throw policy.value("effect").map { policy.wrong("effect", "allow or deny", $0) } ?? policy.missing("effect", "allow or deny")
        }
        return effect
    }

    /// `"*"`, one name, or a list of names.
    private static func names(_ fields: ConfigFields, _ key: String) throws(WippyError) -> [String] {
        guard let value = fields.value(key) else { throw fields.missing(key, "\"*\", a name or a list of names") }
        if let text = value.stringValue { return [text] }
        guard let list = value.tableValue?.array, !list.isEmpty else { throw fields.wrong(key, "\"*\", a name or a list of names", value) }
        var names: [String] = []
        for item in list {
            guard let text = item.stringValue else { throw fields.wrong(key, "a list of names", item) }
            names.append(text)
        }
        return names
    }
}
