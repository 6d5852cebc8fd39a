import WippyCore
import WippyHTTP
import WippyResources

/// The configuration of `http.service`, `http.router`, `http.endpoint` and `http.static` entries
/// (lua-api-io §1.1-1.4).
enum HTTPConfig: Sendable, Equatable {
    case service(HTTPServiceConfig)
    case router(HTTPRouterConfig)
    case endpoint(HTTPEndpointConfig)
    case files(HTTPStaticConfig)

    static let kinds: Set<String> = ["http.service", "http.router", "http.endpoint", "http.static"]

    /// The middleware names of §1.5.
    static var middleware: Set<String> { HTTPMiddlewareCatalog.names }

    static let methods: Set<String> = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"]

    static func decode(_ entry: Entry, environment: EnvironmentLookup) throws(WippyError) -> HTTPConfig {
        switch entry.kind {
        case "http.service":
            let fields = try ConfigFields(
                entry.data, path: "", allowed: ["addr", "timeouts", "host", "network", "tls", "lifecycle"], environment: environment)
            guard let addr = try fields.string("addr"), !addr.isEmpty else { throw fields.missing("addr", "a listen address such as \":8080\"") }
            let (host, port) = try listenAddress(addr)
            let timeouts = try ConfigFields(fields.value("timeouts"), path: "timeouts", allowed: ["read", "write", "idle"], environment: environment)
            let relay = try ConfigFields(fields.value("host"), path: "host", allowed: ["buffer_size", "worker_count"], environment: environment)
            let bufferSize = try relay.count("buffer_size")
            _ = try relay.count("worker_count")
            let tls = try ConfigFields(
                fields.value("tls"), path: "tls",
                allowed: ["mode", "cert", "key", "cert_env", "key_env", "client_auth", "client_ca", "client_ca_env"], environment: environment)
            let tlsConfig = try Self.tls(tls, environment: environment)
            if fields.has("network") { throw WippyError.invalid("'network': overlay networks are not supported by this runtime") }
            let idle = try timeouts.duration("idle").flatMap { $0 == .zero ? nil : $0 }
            return .service(
                HTTPServiceConfig(
                    host: host, port: port, idleTimeout: idle, readTimeout: try timeouts.duration("read"),
                    writeTimeout: try timeouts.duration("write"), lifecycle: try LifecycleConfig(payload: entry.data["lifecycle"], entry: entry.id),
                    tls: tlsConfig, relayBufferSize: bufferSize.flatMap { $0 > 0 ? $0 : nil } ?? WebSocketRelay.defaultBufferSize))
        case "http.router":
            let fields = try ConfigFields(
                entry.data, path: "", allowed: ["prefix", "middleware", "options", "post_middleware", "post_options", "lifecycle"],
                environment: environment)
            guard let serverText = entry.meta["server"]?.stringValue, !serverText.isEmpty else {
                throw WippyError.invalid("'meta.server' is required (the http.service this router belongs to)")
            }
            var prefix = try fields.string("prefix") ?? ""
            if prefix.hasSuffix("/") { prefix.removeLast() }
            if !prefix.isEmpty && !prefix.hasPrefix("/") { throw fields.wrong("prefix", "a path starting with '/'", .string(prefix)) }
            let middleware = try names(fields, "middleware")
            let post = try names(fields, "post_middleware")
            return .router(
                HTTPRouterConfig(
                    server: EntryID.resolve(serverText, in: entry.id.namespace), prefix: prefix, middleware: middleware,
                    options: try fields.textMap("options"), postMiddleware: post, postOptions: try fields.textMap("post_options")))
        case "http.static":
            return .files(try decodeStatic(entry, environment: environment))
        default:
            let fields = try ConfigFields(
                entry.data, path: "", allowed: ["method", "methods", "path", "func", "lifecycle"], environment: environment)
            guard let routerText = entry.meta["router"]?.stringValue, !routerText.isEmpty else {
                throw WippyError.invalid("'meta.router' is required (the http.router this endpoint belongs to)")
            }
            var methods: [String] = []
            for key in ["method", "methods"] {
                guard let value = fields.value(key) else { continue }
                let list: [Payload] = value.tableValue.map { $0.array } ?? [value]
                for item in list {
                    guard let method = item.stringValue, HTTPConfig.methods.contains(method) else {
                        throw fields.wrong(key, "one of \(HTTPConfig.methods.sorted().joined(separator: ", ")) (upper case)", item)
                    }
                    if !methods.contains(method) { methods.append(method) }
                }
            }
            guard !methods.isEmpty else { throw fields.missing("method", "GET, POST, ...") }
            guard let path = try fields.string("path"), path.hasPrefix("/") else {
                throw fields.value("path").map { fields.wrong("path", "a path starting with '/'", $0) } ?? fields.missing("path", "a path such as /hello")
            }
            do {
                _ = try RoutePattern(path)
            } catch {
                throw WippyError.invalid("'path': \(error)")
            }
            guard let function = try fields.entryID("func", in: entry.id.namespace) else { throw fields.missing("func", "a function.lua entry") }
            return .endpoint(
                HTTPEndpointConfig(router: EntryID.resolve(routerText, in: entry.id.namespace), methods: methods, path: path, function: function))
        }
    }

    /// `http.static` (§1.4): mounted on a server; legacy `options.spa` becomes `static_options.spa`.
    static func decodeStatic(_ entry: Entry, environment: EnvironmentLookup) throws(WippyError) -> HTTPStaticConfig {
        let fields = try ConfigFields(
            entry.data, path: "", allowed: ["path", "fs", "static_options", "middleware", "options", "lifecycle", "directory"],
            environment: environment)
        guard let serverText = entry.meta["server"]?.stringValue, !serverText.isEmpty else {
            throw WippyError.invalid("'meta.server' is required (the http.service this static mount belongs to)")
        }
        guard let path = try fields.string("path"), path.hasPrefix("/") else {
            throw fields.value("path").map { fields.wrong("path", "a path starting with '/'", $0) } ?? fields.missing("path", "a mount path such as /static")
        }
        guard let fs = try fields.entryID("fs", in: entry.id.namespace) else { throw fields.missing("fs", "an fs.directory entry") }
        let staticOptions = try ConfigFields(
            fields.value("static_options"), path: "static_options", allowed: ["spa", "index", "cache"], environment: environment)
        var options = try fields.textMap("options")
        var spa = try staticOptions.bool("spa")
        if let legacy = options.removeValue(forKey: "spa"), spa == nil {
            guard legacy == "true" || legacy == "false" else { throw WippyError.invalid("'options.spa' must be true or false (got \"\(legacy)\")") }
            spa = legacy == "true"
        }
        let index = try staticOptions.string("index")
        if spa == true, index?.isEmpty ?? true {
            throw staticOptions.missing("index", "the index file SPA mode answers with, such as index.html")
        }
        var mount = path
        while mount.hasSuffix("/") { mount.removeLast() }
        do {
            _ = try RoutePattern(mount + "/")
        } catch {
            throw WippyError.invalid("'path': \(error)")
        }
        return HTTPStaticConfig(
            server: EntryID.resolve(serverText, in: entry.id.namespace), mount: mount, fs: fs, spa: spa ?? false, index: index,
            cache: try staticOptions.string("cache"), middleware: try names(fields, "middleware"), options: options)
    }

    private static func names(_ fields: ConfigFields, _ key: String) throws(WippyError) -> [String] {
        guard let value = fields.value(key) else { return [] }
        guard let list = value.tableValue, list.fields.isEmpty else { throw fields.wrong(key, "a list of middleware names", value) }
        var names: [String] = []
        for item in list.array {
            guard let name = item.stringValue, middleware.contains(name) else {
                throw fields.wrong(key, "a list of known middleware (\(middleware.sorted().joined(separator: ", ")))", item)
            }
            names.append(name)
        }
        return names
    }

    /// `":8080"` listens on every interface; `"127.0.0.1:9090"`, `"localhost:80"`, `"[::1]:80"` on one.
    static func listenAddress(_ addr: String) throws(WippyError) -> (String, Int) {
        guard let colon = addr.lastIndex(of: ":") else {
            throw WippyError.invalid("'addr' must be host:port or :port (got \"\(addr)\")")
        }
        var host = String(addr[..<colon])
        guard let port = Int(addr[addr.index(after: colon)...]), (0...65535).contains(port) else {
            throw WippyError.invalid("'addr' has no valid port (got \"\(addr)\")")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}

struct HTTPServiceConfig: Sendable, Equatable {
    var host: String
    var port: Int
    var idleTimeout: Duration?
    var readTimeout: Duration?
    var writeTimeout: Duration?
    var lifecycle: LifecycleConfig
    /// TLS manual mode; nil: plain HTTP.
    var tls: HTTPServerTLS? = nil
    /// `host.buffer_size`: the most messages queued for one relayed WebSocket or SSE client.
    var relayBufferSize = WebSocketRelay.defaultBufferSize
}

struct HTTPRouterConfig: Sendable, Equatable {
    var server: EntryID
    /// Without its trailing slash (`"/"` is `""`).
    var prefix: String
    var middleware: [String]
    var options: [String: String]
    var postMiddleware: [String]
    var postOptions: [String: String]
}

struct HTTPEndpointConfig: Sendable, Equatable {
    var router: EntryID
    var methods: [String]
    var path: String
    var function: EntryID
}

struct HTTPStaticConfig: Sendable, Equatable {
    var server: EntryID
    /// The mount path without its trailing slash (`""` for `/`).
    var mount: String
    var fs: EntryID
    var spa: Bool
    var index: String?
    var cache: String?
    var middleware: [String]
    var options: [String: String]
}
