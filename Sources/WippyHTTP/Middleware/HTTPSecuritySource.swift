import NIOPosix
public import WippyCore
public import WippyResources

/// The runtime's answer to the security middlewares: token records in the `store.*` entry of a
/// `security.token_store` (key: the token; value: `{actor = {id, meta}, policies = {ids}, expires_at?}`,
/// `expires_at` in Unix seconds), and the `security.policy` entries of the ``WippyResources/SecurityCatalog``.
/// A store that waits on I/O is read on NIO's thread pool.
public struct HTTPSecuritySource: HTTPSecurityProvider {
    let catalog: SecurityCatalog
    let resources: ResourceTable

    public init(catalog: SecurityCatalog, resources: ResourceTable) {
        self.catalog = catalog
        self.resources = resources
    }

    public func hasTokenStore(_ store: String) -> Bool { catalog.tokenStore(store) != nil }

    public func validate(token: String, store: String) async -> HTTPSecurityIdentity? {
        guard let configuration = catalog.tokenStore(store) else { return nil }
        guard let (lease, backend) = try? resources.acquire(configuration.store, as: (any KeyValueStore).self, what: "a store") else { return nil }
        defer { lease.release() }
        let record: Payload?
        if backend.waits {
            record = try? await NIOThreadPool.singleton.runIfActive { try? backend.get(token) }
        } else {
            record = try? backend.get(token)
        }
        guard let record, let identity = Self.identity(record) else { return nil }
        return identity
    }

    /// The identity a stored record stands for, or `nil` for a malformed one.
    static func identity(_ record: Payload) -> HTTPSecurityIdentity? {
        guard let actor = record["actor"], let id = actor["id"]?.stringValue, !id.isEmpty else { return nil }
        var meta: [String: String] = [:]
        for field in actor["meta"]?.tableValue?.fields ?? [] {
            guard case .string(let key) = field.key else { continue }
            if let text = field.value.stringValue { meta[key] = text } else if let number = field.value.doubleValue { meta[key] = String(number) }
        }
        let policies = record["policies"]?.tableValue?.array.compactMap(\.stringValue) ?? []
        return HTTPSecurityIdentity(actorID: id, actorMeta: meta, policies: policies)
    }

    public func evaluate(_ identity: HTTPSecurityIdentity, action: String, resource: String) -> HTTPAccessDecision {
        switch catalog.evaluate(policies: identity.policies, actorID: identity.actorID, actorMeta: identity.actorMeta, action: action, resource: resource) {
        case .allow?: .allow
        case .deny?: .deny
        case nil: .undefined
        }
    }
}

