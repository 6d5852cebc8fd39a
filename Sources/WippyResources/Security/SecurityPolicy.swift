public import WippyCore
import Synchronization

/// A `security.policy` or `security.policy.expr` entry (lua-api-io §6.5): an effect for the actions and
/// resources it names, when all of its conditions (or its expression, ``PolicyExpression``) hold. A value; evaluating it touches nothing.
public struct SecurityPolicy: Sendable, Equatable {
    public enum Effect: String, Sendable {
        case allow, deny
    }

    public struct Condition: Sendable, Equatable {
        public enum Operator: String, Sendable, CaseIterable {
            case eq, ne, lt, gt, lte, gte, `in`, nin, exists, nexists, contains, ncontains
        }

        /// `actor.id`, `actor.meta.<path>`, `action`, `resource`, `meta.<path>`.
        public var field: String
        public var op: Operator
        /// The value compared with (`in`/`nin`: any of a list).
        public var values: [String]
        /// Compare with another field instead (`value_from`).
        public var valueFrom: String?

        public init(field: String, op: Operator, values: [String] = [], valueFrom: String? = nil) {
            self.field = field
            self.op = op
            self.values = values
            self.valueFrom = valueFrom
        }
    }

    public var id: String
    /// `*`, `prefix.*` / `prefix*` patterns, or exact names.
    public var actions: [String]
    public var resources: [String]
    public var effect: Effect
    public var conditions: [Condition]
    /// A `security.policy.expr` entry's expression: must hold as well as the conditions.
    public var expression: PolicyExpression?

    public init(
        id: String, actions: [String], resources: [String], effect: Effect, conditions: [Condition] = [], expression: PolicyExpression? = nil
    ) {
        self.id = id
        self.actions = actions
        self.resources = resources
        self.effect = effect
        self.conditions = conditions
        self.expression = expression
    }

    /// What this policy says of `action` on `resource` for the actor: its effect, or `nil` (undefined).
    public func evaluate(actorID: String, actorMeta: [String: String], action: String, resource: String, meta: [String: String] = [:]) -> Effect? {
        guard Self.matches(actions, action), Self.matches(resources, resource) else { return nil }
        let lookup = { (field: String) -> String? in
            switch field {
            case "actor.id": return actorID
            case "action": return action
            case "resource": return resource
            default:
                if field.hasPrefix("actor.meta.") { return actorMeta[String(field.dropFirst("actor.meta.".count))] }
                if field.hasPrefix("meta.") { return meta[String(field.dropFirst("meta.".count))] }
                return nil
            }
        }
        for condition in conditions where !Self.holds(condition, lookup) { return nil }
        if let expression, !expression.holds(lookup) { return nil }
        return effect
    }

    static func matches(_ patterns: [String], _ name: String) -> Bool {
        patterns.contains { pattern in
            if pattern == "*" || pattern == name { return true }
            if pattern.hasSuffix(".*") { return name.hasPrefix(pattern.dropLast()) }
            if pattern.hasSuffix("*") { return name.hasPrefix(pattern.dropLast()) }
            return false
        }
    }

    static func holds(_ condition: Condition, _ lookup: (String) -> String?) -> Bool {
        let value = lookup(condition.field)
        let expected = condition.valueFrom.map { lookup($0).map { [$0] } ?? [] } ?? condition.values
        switch condition.op {
        case .exists: return value != nil
        case .nexists: return value == nil
        case .eq: return value != nil && value == expected.first
        case .ne: return value != expected.first
        case .in: return value.map { expected.contains($0) } ?? false
        case .nin: return !(value.map { expected.contains($0) } ?? false)
        case .contains: return value.map { text in expected.first.map { text.contains($0) } ?? false } ?? false
        case .ncontains: return !(value.map { text in expected.first.map { text.contains($0) } ?? false } ?? false)
        case .lt, .gt, .lte, .gte:
            guard let left = value.flatMap(Double.init), let right = expected.first.flatMap(Double.init) else { return false }
            switch condition.op {
            case .lt: return left < right
            case .gt: return left > right
            case .lte: return left <= right
            default: return left >= right
            }
        }
    }
}

/// The policies of the committed registry, by ID, read by the firewalls (one scope = a list of policy IDs).
public final class SecurityCatalog: Sendable {
    public struct TokenStore: Sendable, Equatable {
        /// The `store.*` entry that keeps the records.
        public var store: EntryID
        public var defaultExpiration: Duration

        public init(store: EntryID, defaultExpiration: Duration) {
            self.store = store
            self.defaultExpiration = defaultExpiration
        }
    }

    private struct State {
        var policies: [String: SecurityPolicy] = [:]
        var tokenStores: [String: TokenStore] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func replace(policies: [String: SecurityPolicy], tokenStores: [String: TokenStore]) {
        state.withLock { $0 = State(policies: policies, tokenStores: tokenStores) }
    }

    public func tokenStore(_ id: String) -> TokenStore? { state.withLock { $0.tokenStores[id] } }

    /// A scope's decision: any policy denying ⇒ deny, else any allowing ⇒ allow, else undefined (`nil`).
    public func evaluate(policies: [String], actorID: String, actorMeta: [String: String], action: String, resource: String) -> SecurityPolicy.Effect? {
        let known = state.withLock { state in policies.compactMap { state.policies[$0] } }
        var allowed = false
        for policy in known {
            switch policy.evaluate(actorID: actorID, actorMeta: actorMeta, action: action, resource: resource) {
            case .deny?: return .deny
            case .allow?: allowed = true
            case nil: break
            }
        }
        return allowed ? .allow : nil
    }
}
