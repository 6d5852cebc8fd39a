/// What a server routes: for each route a method, a path pattern, the entry that declared it (named in
/// conflicts) and what to run. Built whole from the registry's state on every relevant change; a table is
/// an immutable value, swapped in for the next request.
///
/// Rules (lua-api-io §1.3, §11.6): Go 1.22 `ServeMux` precedence, the most specific matching route wins; a
/// `GET` route also answers `HEAD`; two routes that match some request with neither more specific
/// conflict, and the table is refused naming both. Every path with a route gets an automatic `OPTIONS`
/// route answering 204 (one per path, unless an `OPTIONS` route is declared there). A path that some route
/// matches under other methods only is a 405 with `Allow`; anything else a 404.
public struct RouteTable<Target: Sendable>: Sendable {
    /// A route to declare.
    public struct Declaration: Sendable {
        /// Upper case; `""` matches every method.
        public var method: String
        /// The full path pattern (a router's prefix already prepended).
        public var path: String
        /// Who declared it (an entry ID), named in errors.
        public var owner: String
        public var target: Target

        public init(method: String, path: String, owner: String, target: Target) {
            self.method = method
            self.path = path
            self.owner = owner
            self.target = target
        }
    }

    public enum Action: Sendable {
        case target(Target)
        /// The automatic `OPTIONS` twin of the declared routes on a path: 204 (through the pre-match
        /// middleware of the route it twins, which it carries).
        case automaticOptions(Target)
    }

    public struct Route: Sendable {
        public let method: String
        public let pattern: RoutePattern
        public let owner: String
        public let action: Action

        /// `METHOD /path` as Go writes a pattern.
        public var key: String { method.isEmpty ? pattern.text : "\(method) \(pattern.text)" }
    }

    public enum Match: Sendable {
        case found(Route, parameters: [(String, String)])
        /// Some route matches the path under other methods, listed here (sorted; `GET` implies `HEAD`).
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    public let routes: [Route]

    public static var empty: RouteTable { RouteTable(routes: []) }

    private init(routes: [Route]) { self.routes = routes }

    /// Builds the table, or says which two declarations conflict (or which pattern is malformed).
    public init(_ declarations: [Declaration]) throws(RouteTableError) {
        var routes: [Route] = []
        for declaration in declarations {
            let pattern: RoutePattern
            do {
                pattern = try RoutePattern(declaration.path)
            } catch {
                throw RouteTableError.badPattern(owner: declaration.owner, error)
            }
            routes.append(Route(method: declaration.method, pattern: pattern, owner: declaration.owner, action: .target(declaration.target)))
        }
        // Conflicts among the declared routes first, so that the error names two declarations.
        for index in routes.indices {
            for other in routes[..<index] {
                let relation = RouteTable.relation(routes[index], other)
                if relation == .equivalent || relation == .overlaps {
                    throw RouteTableError.conflict(first: RouteTableError.Side(other), second: RouteTableError.Side(routes[index]))
                }
            }
        }
        // One automatic OPTIONS route per path (equivalent patterns are one path). Twins never make a
        // conflict (they all answer the same); a declared route beats any twin that also matches.
        var twins: [Route] = []
        for route in routes where route.method != "OPTIONS" && !route.method.isEmpty {
            let covered = (routes + twins).contains { existing in
                existing.method == "OPTIONS" && existing.pattern.relation(to: route.pattern) == .equivalent
            }
            guard !covered, case .target(let target) = route.action else { continue }
            twins.append(Route(method: "OPTIONS", pattern: route.pattern, owner: route.owner, action: .automaticOptions(target)))
        }
        self.routes = routes + twins
    }

    /// How the requests two routes match relate.
    static func relation(_ a: Route, _ b: Route) -> RouteRelation {
        let methods = methodRelation(a.method, b.method)
        if methods == .disjoint { return .disjoint }
        return methods.combined(with: a.pattern.relation(to: b.pattern))
    }

    static func methodRelation(_ a: String, _ b: String) -> RouteRelation {
        if a == b { return .equivalent }
        if a.isEmpty { return .moreGeneral }
        if b.isEmpty { return .moreSpecific }
        if a == "GET" && b == "HEAD" { return .moreGeneral }
        if a == "HEAD" && b == "GET" { return .moreSpecific }
        return .disjoint
    }

    static func answers(_ routeMethod: String, _ requestMethod: String) -> Bool {
        routeMethod.isEmpty || routeMethod == requestMethod || (routeMethod == "GET" && requestMethod == "HEAD")
    }

    /// The route for a request.
    public func match(method: String, path: String) -> Match {
        let routePath = RoutePath(path)
        var best: (route: Route, parameters: [(String, String)])?
        var otherMethods: Set<String> = []
        for route in routes {
            guard let parameters = route.pattern.match(routePath) else { continue }
            guard RouteTable.answers(route.method, method) else {
                if route.action.isAutomatic == false { otherMethods.insert(route.method) }
                continue
            }
            if let current = best {
                // Twins are routes like the others (the most specific wins: `OPTIONS /api/x` beats a
                // method-less `/` mount); between equivalent ones the declared route wins.
                switch RouteTable.relation(route, current.route) {
                case .moreSpecific: break
                case .equivalent where !route.action.isAutomatic && current.route.action.isAutomatic: break
                default: continue
                }
            }
            best = (route, parameters)
        }
        if let best { return .found(best.route, parameters: best.parameters) }
        if otherMethods.isEmpty { return .notFound }
        if otherMethods.contains("GET") { otherMethods.insert("HEAD") }
        otherMethods.insert("OPTIONS")
        return .methodNotAllowed(allowed: otherMethods.sorted())
    }
}

extension RouteTable.Match {
    /// Found by a route that is not a subtree (no trailing `/` or `{name...}` took part of the path).
    public var isExact: Bool {
        guard case .found(let route, _) = self else { return false }
        if case .rest? = route.pattern.segments.last { return false }
        return true
    }
}

extension RouteTable.Action {
    var isAutomatic: Bool {
        if case .automaticOptions = self { return true }
        return false
    }
}

/// Why a route table was refused.
public enum RouteTableError: Error, Sendable, CustomStringConvertible {
    public struct Side: Sendable, Equatable {
        public let key: String
        public let owner: String

        init<Target>(_ route: RouteTable<Target>.Route) {
            key = route.key
            owner = route.owner
        }
    }

    case badPattern(owner: String, RoutePatternError)
    case conflict(first: Side, second: Side)

    public var description: String {
        switch self {
        case .badPattern(let owner, let error):
            return "entry \(owner): \(error)"
        case .conflict(let first, let second):
            return "route conflict: \(second.key) (entry \(second.owner)) and \(first.key) (entry \(first.owner)) match the same requests "
                + "and neither is more specific"
        }
    }
}
