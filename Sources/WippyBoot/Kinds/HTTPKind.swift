import HashTreeCollections
import Synchronization
import WippyCore
import WippyHTTP
import WippyResources
import WippyRuntime

/// The registry handler of `http.service`, `http.router` and `http.endpoint` (lua-api-io §1.1-1.3).
///
/// - Each entry is decoded when prepared (a bad one rejects the changeset, naming the entry and field).
/// - When a changeset touches HTTP entries, functions or hosts, every server's route table is rebuilt from
///   the working state in ``finish(_:)``: a router naming no server, an endpoint naming no router or no
///   function, two routers with one prefix on one server, or two conflicting routes reject the changeset
///   with an error naming both entries, and the tables in service stay as they were.
/// - At commit the new tables replace the old ones on their boards (the next request uses them; no restart),
///   and servers are registered, replaced (a changed `http.service` entry restarts gracefully) or removed.
final class HTTPKind: RegistryParticipant, @unchecked Sendable {
    let runtime: LuaRuntime
    let supervisor: Supervisor
    let environment: EnvironmentLookup
    let dispatcher: HTTPEndpointDispatcher
    private let live = Mutex<[EntryID: (config: HTTPServiceConfig, board: HTTPRouteBoard)]>([:])
    private let running = Atomic<Bool>(false)
    // Staged by the running transaction (only the applying thread touches these).
    private var stagedServices: [EntryID: HTTPServiceConfig]?
    private var stagedTables: [EntryID: RouteTable<HTTPRoute>] = [:]
    /// The middleware chains built for each router or static mount, kept while its config is unchanged (so
    /// a registry change elsewhere keeps, say, rate-limit buckets).
    private var builtChains: [EntryID: (config: HTTPConfig, pre: HTTPMiddlewareChain, post: HTTPMiddlewareChain)] = [:]
    /// The metrics collector the `metrics` middleware feeds (`nil`: metrics are off).
    let metrics: MetricsCollector?
    /// Middlewares built outside WippyHTTP, by name (the relays plug in here).
    let externalMiddleware: [String: HTTPMiddlewareServices.Factory]
    private var stagedHost: EntryID?
    /// The decoded HTTP entries of the committed registry, and those the running transaction changes (nil:
    /// deleted). Decoded in `prepare`, where the registry hands over entries with their `${env:...}`
    /// placeholders expanded (the working state keeps the raw text).
    private var configs: [EntryID: HTTPConfig] = [:]
    private var changedConfigs: [EntryID: HTTPConfig?] = [:]
    private var nextConfigs: [EntryID: HTTPConfig]?

    /// Kinds whose change can change a route table or its validity.
    static let relevantKinds: Set<String> = HTTPConfig.kinds.union(["function.lua", "process.lua", "process.host", "fs.directory"])

    /// The token stores and policies of `token_auth` and the firewalls.
    let security: HTTPSecuritySource

    init(
        runtime: LuaRuntime, supervisor: Supervisor, environment: EnvironmentLookup = .process, metrics: MetricsCollector? = nil,
        security: SecurityCatalog = SecurityCatalog(), externalMiddleware: [String: HTTPMiddlewareServices.Factory] = [:]
    ) {
        self.security = HTTPSecuritySource(catalog: security, resources: runtime.resources)
        self.runtime = runtime
        self.metrics = metrics
        self.externalMiddleware = externalMiddleware
        self.supervisor = supervisor
        self.environment = environment
        dispatcher = HTTPEndpointDispatcher(runtime: runtime, host: nil)
    }

    func handles(kind: String) -> Bool { HTTPConfig.kinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        guard change.kind != .delete else {
            changedConfigs[change.id] = .some(nil)
            return
        }
        changedConfigs[change.id] = try HTTPConfig.decode(change.entry, environment: environment)
    }

    func finish(_ transaction: RegistryTransaction) throws(WippyError) {
        let relevant = transaction.applied.contains { change in
            HTTPKind.relevantKinds.contains(change.entry.kind) || change.original.map { HTTPKind.relevantKinds.contains($0.kind) } ?? false
        }
        guard relevant else { return }
        var services: [EntryID: HTTPServiceConfig] = [:]
        var routers: [EntryID: HTTPRouterConfig] = [:]
        var endpoints: [EntryID: HTTPEndpointConfig] = [:]
        var statics: [EntryID: HTTPStaticConfig] = [:]
        var hosts: [EntryID] = []
        func place(_ id: EntryID) -> String { transaction.working[id]?.origin.map { "\($0): " } ?? "" }
        func fail(_ id: EntryID, _ message: String) -> WippyError {
            WippyError("\(place(id))entry \(id): \(message)", kind: .invalid, retryable: false)
        }
        var all = configs
        for (id, config) in changedConfigs { all[id] = config }
        for (id, entry) in transaction.working where entry.kind == "process.host" { hosts.append(id) }
        for (id, config) in all {
            switch config {
            case .service(let service): services[id] = service
            case .router(let router): routers[id] = router
            case .endpoint(let endpoint): endpoints[id] = endpoint
            case .files(let files): statics[id] = files
            }
        }
        var prefixes: [EntryID: [String: EntryID]] = [:]
        for (id, router) in routers.sorted(by: { $0.key < $1.key }) {
            guard services[router.server] != nil else {
                throw fail(id, "'meta.server': \(router.server) is not an http.service entry")
            }
            if let other = prefixes[router.server]?[router.prefix] {
                throw fail(id, "router \(other) already has prefix '\(router.prefix)' on server \(router.server)")
            }
            prefixes[router.server, default: [:]][router.prefix] = id
        }
        var routerChains: [EntryID: (pre: HTTPMiddlewareChain, post: HTTPMiddlewareChain)] = [:]
        for (id, router) in routers {
            routerChains[id] = try chains(id, .router(router), transaction, pre: router.middleware, router.options, post: router.postMiddleware, router.postOptions)
        }
        var declarations: [EntryID: [RouteTable<HTTPRoute>.Declaration]] = [:]
        for (id, files) in statics.sorted(by: { $0.key < $1.key }) {
            guard services[files.server] != nil else {
                throw fail(id, "'meta.server': \(files.server) is not an http.service entry")
            }
            guard let directory = transaction.working[files.fs], directory.kind.hasPrefix("fs.") else {
                throw fail(id, "'fs': \(files.fs) is not an fs.directory entry")
            }
            let (pre, _) = try chains(id, .files(files), transaction, pre: files.middleware, files.options, post: [], [:])
            let handler = HTTPStaticFiles(
                .init(mount: files.mount, spa: files.spa, index: files.index, cache: files.cache), root: directoryRoot(files.fs))
            declarations[files.server, default: []].append(
                .init(method: "", path: files.mount + "/", owner: id.description, target: HTTPRoute(.files(handler), entry: id.description, pre: pre)))
        }
        for (id, endpoint) in endpoints.sorted(by: { $0.key < $1.key }) {
            guard let router = routers[endpoint.router] else {
                throw fail(id, "'meta.router': \(endpoint.router) is not an http.router entry")
            }
            guard let function = transaction.working[endpoint.function] else {
                throw fail(id, "'func': \(endpoint.function) does not exist")
            }
            guard function.kind == "function.lua" || function.kind == "process.lua" else {
                throw fail(id, "'func': \(endpoint.function) is a \(function.kind) entry, not a function.lua entry")
            }
            // `websocket_relay` belongs in `post_middleware`; listed pre-match it only reads the response header too.
            let relay =
                router.postMiddleware.contains("websocket_relay")
                ? WebSocketRelayOptions(options: router.postOptions)
                : router.middleware.contains("websocket_relay") ? WebSocketRelayOptions(options: router.options) : nil
            let target = HTTPEndpointTarget(
                endpoint: id.description, router: endpoint.router.description, function: endpoint.function.description,
                webSocketRelay: relay,
                sseRelay: router.postMiddleware.contains("sse_relay") ? SSERelay.Options(postOptions: router.postOptions) : nil)
            let chain = routerChains[endpoint.router] ?? (pre: HTTPMiddlewareChain.empty, post: HTTPMiddlewareChain.empty)
            for method in endpoint.methods {
                declarations[router.server, default: []].append(
                    .init(method: method, path: router.prefix + endpoint.path, owner: id.description, target: .endpoint(target, pre: chain.pre, post: chain.post)))
            }
        }
        // Chains of routers and mounts that no longer exist are dropped (with their rate-limit buckets).
        builtChains = builtChains.filter { routers[$0.key] != nil || statics[$0.key] != nil }
        var tables: [EntryID: RouteTable<HTTPRoute>] = [:]
        for id in services.keys {
            do {
                tables[id] = try RouteTable(declarations[id] ?? [])
            } catch {
                if case .conflict(_, let second) = error {
                    throw fail(EntryID(parsing: second.owner), "server \(id): \(error.description)")
                }
                throw WippyError("server \(id): \(error.description)", kind: .invalid, retryable: false)
            }
        }
        stagedServices = services
        stagedTables = tables
        nextConfigs = all
        stagedHost = hosts.sorted().first
    }

    /// The chains of a router or static mount: built from its lists and options (a bad option value rejects
    /// the changeset naming the entry), or the ones built before when its config did not change.
    private func chains(
        _ id: EntryID, _ config: HTTPConfig, _ transaction: RegistryTransaction, pre: [String], _ preOptions: [String: String],
        post: [String], _ postOptions: [String: String]
    ) throws(WippyError) -> (pre: HTTPMiddlewareChain, post: HTTPMiddlewareChain) {
        // The token store option names an entry (relative to the router's namespace) that must be a
        // security.token_store in the working registry (its catalog is committed with this changeset).
        func resolvingStore(_ names: [String], _ options: [String: String]) throws(WippyError) -> [String: String] {
            guard names.contains("token_auth") else { return options }
            var options = options
            for key in ["token_auth.store", "token_store"] {
                guard let name = options[key], !name.isEmpty else { continue }
                let store = EntryID.resolve(name, in: id.namespace)
                guard transaction.working[store]?.kind == "security.token_store" else {
                    throw WippyError("entry \(id): middleware: option '\(key)': \(store) is not a security.token_store entry", kind: .invalid, retryable: false)
                }
                options[key] = store.description
            }
            return options
        }
        let preOptions = try resolvingStore(pre, preOptions)
        let postOptions = try resolvingStore(post, postOptions)
        if let built = builtChains[id], built.config == config { return (built.pre, built.post) }
        let services = HTTPMiddlewareServices(
            metrics: metrics, directory: { [weak self] name in self?.directoryRoot(EntryID.resolve(name, in: id.namespace)) },
            external: externalMiddleware, security: security)
        do {
            let preChain = try HTTPMiddlewareCatalog.chain(pre, options: preOptions, services: services)
            let postChain = try HTTPMiddlewareCatalog.chain(post, options: postOptions, services: services)
            builtChains[id] = (config, preChain, postChain)
            return (preChain, postChain)
        } catch {
            throw WippyError("entry \(id): middleware: \(error.message)", kind: .invalid, retryable: false)
        }
    }

    /// Reads the real root of the `fs.directory` `id` as it is open now (it may open later, or change).
    private func directoryRoot(_ id: EntryID) -> @Sendable () -> String? {
        let resources = runtime.resources
        return { (resources.current(id) as? FSDirectory)?.root }
    }

    func commit(_ transaction: RegistryTransaction) {
        if let nextConfigs { configs = nextConfigs }
        nextConfigs = nil
        changedConfigs = [:]
        guard let services = stagedServices else { return }
        dispatcher.host.withLock { $0 = stagedHost }
        let previous = live.withLock { $0 }
        for id in previous.keys.sorted() where services[id] == nil {
            live.withLock { _ = $0.removeValue(forKey: id) }
            supervisor.remove(id)
        }
        var toStart: [EntryID] = []
        for (id, config) in services.sorted(by: { $0.key < $1.key }) {
            var lifecycle = config.lifecycle
            if let host = stagedHost, !lifecycle.requires.contains(host) { lifecycle.requires.append(host) }
            if let existing = previous[id] {
                existing.board.table = stagedTables[id] ?? .empty
                guard existing.config != config else { continue }
                live.withLock { $0[id] = (config, existing.board) }
                let service = HTTPServerService(id: id, config: config, board: existing.board, dispatcher: dispatcher)
                supervisor.replace(id, service: service, lifecycle: lifecycle)
            } else {
                let board = HTTPRouteBoard(stagedTables[id] ?? .empty)
                live.withLock { $0[id] = (config, board) }
                supervisor.register(id, service: HTTPServerService(id: id, config: config, board: board, dispatcher: dispatcher), lifecycle: lifecycle)
                if config.lifecycle.autoStart { toStart.append(id) }
            }
        }
        stagedServices = nil
        stagedTables = [:]
        if running.load(ordering: .acquiring) { supervisor.start(toStart) }
    }

    func discard(_ transaction: RegistryTransaction) {
        stagedServices = nil
        stagedTables = [:]
        changedConfigs = [:]
        nextConfigs = nil
    }

    /// From now on, new `auto_start` servers start when they are committed.
    func markRunning() { running.store(true, ordering: .releasing) }

    /// The port server `id` listens on while it runs (for tests and status).
    func boundPort(_ id: EntryID) -> Int? {
        guard let service = supervisor.service(id) as? HTTPServerService else { return nil }
        let port = service.boundPort.load(ordering: .acquiring)
        return port == 0 ? nil : port
    }
}
