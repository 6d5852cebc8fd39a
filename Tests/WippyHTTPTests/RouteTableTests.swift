import Testing
import WippyHTTP

/// The route table as a value: Go 1.22 ServeMux precedence, captures, 404/405, automatic HEAD/OPTIONS,
/// conflicts naming both entries.
@Suite struct RouteTableTests {
    typealias Table = RouteTable<String>

    static func table(_ routes: [(String, String)]) throws -> Table {
        try Table(routes.map { Table.Declaration(method: $0.0, path: $0.1, owner: "app:\($0.0.lowercased())\($0.1)", target: "\($0.0) \($0.1)") })
    }

    /// The target of the route `method path` finds, with its captures; `nil` for 404/405.
    static func target(_ table: Table, _ method: String, _ path: String) -> (String, [String: String])? {
        guard case .found(let route, let parameters) = table.match(method: method, path: path) else { return nil }
        var captured: [String: String] = [:]
        for (name, value) in parameters { captured[name] = value }
        switch route.action {
        case .target(let target): return (target, captured)
        case .automaticOptions: return ("auto-options", captured)
        }
    }

    @Test func literalBeatsWildcardBeatsSubtree() throws {
        let table = try Self.table([("GET", "/"), ("GET", "/users/{id}"), ("GET", "/users/me"), ("GET", "/files/{path...}")])
        #expect(Self.target(table, "GET", "/users/me")?.0 == "GET /users/me")
        #expect(Self.target(table, "GET", "/users/42")?.0 == "GET /users/{id}")
        #expect(Self.target(table, "GET", "/users/42")?.1 == ["id": "42"])
        #expect(Self.target(table, "GET", "/files/a/b/c.txt")?.0 == "GET /files/{path...}")
        // The catch-all value is not a parameter (lua-api-io §1.3).
        #expect(Self.target(table, "GET", "/files/a/b/c.txt")?.1 == [:])
        // `GET /` is the catch-all of everything else.
        #expect(Self.target(table, "GET", "/elsewhere/deep")?.0 == "GET /")
        #expect(Self.target(table, "GET", "/")?.0 == "GET /")
        #expect(Self.target(table, "GET", "/users/42/extra")?.0 == "GET /")
    }

    @Test func colonParametersAreBraceParameters() throws {
        let table = try Self.table([("GET", "/cart/:user_id/items/{item}")])
        let found = Self.target(table, "GET", "/cart/u%201/items/7")
        #expect(found?.1 == ["user_id": "u 1", "item": "7"])
        #expect(table.routes.first?.pattern.text == "/cart/{user_id}/items/{item}")
    }

    @Test func trailingSlashIsASubtreeAndExactPathsAreExact() throws {
        let table = try Self.table([("GET", "/docs/"), ("GET", "/exact")])
        #expect(Self.target(table, "GET", "/docs/")?.0 == "GET /docs/")
        #expect(Self.target(table, "GET", "/docs/a/b")?.0 == "GET /docs/")
        #expect(Self.target(table, "GET", "/docs") == nil)
        #expect(Self.target(table, "GET", "/exact/") == nil)
        #expect(Self.target(table, "GET", "/exact/more") == nil)
        // A wildcard needs a non-empty segment.
        let wild = try Self.table([("GET", "/a/{x}")])
        #expect(Self.target(wild, "GET", "/a/") == nil)
        #expect(Self.target(wild, "GET", "/a/b")?.1 == ["x": "b"])
    }

    @Test func endAnchorMatchesOnlyTheSlash() throws {
        let table = try Self.table([("GET", "/a/{$}"), ("GET", "/a/{rest...}")])
        #expect(Self.target(table, "GET", "/a/")?.0 == "GET /a/{$}")
        #expect(Self.target(table, "GET", "/a/b")?.0 == "GET /a/{rest...}")
    }

    @Test func notFoundAndMethodNotAllowed() throws {
        let table = try Self.table([("GET", "/items"), ("POST", "/items"), ("DELETE", "/items/{id}")])
        guard case .notFound = table.match(method: "GET", path: "/nothing") else {
            Issue.record("expected 404")
            return
        }
        guard case .methodNotAllowed(let allowed) = table.match(method: "PUT", path: "/items") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET", "HEAD", "OPTIONS", "POST"])
        guard case .methodNotAllowed(let allowedOne) = table.match(method: "GET", path: "/items/9") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowedOne == ["DELETE", "OPTIONS"])
    }

    @Test func getAnswersHeadAndAnExplicitHeadWins() throws {
        let table = try Self.table([("GET", "/a"), ("GET", "/b"), ("HEAD", "/b")])
        #expect(Self.target(table, "HEAD", "/a")?.0 == "GET /a")
        #expect(Self.target(table, "HEAD", "/b")?.0 == "HEAD /b")
        #expect(Self.target(table, "GET", "/b")?.0 == "GET /b")
    }

    /// A static mount is a method-less subtree: it loses to more specific routes, the automatic
    /// `OPTIONS` twins included (so CORS preflights reach the router's middleware), and answers the rest.
    @Test func methodlessMountLosesToTwinsAndSpecificRoutes() throws {
        let table = try Self.table([("", "/"), ("GET", "/api/items")])
        #expect(Self.target(table, "OPTIONS", "/api/items")?.0 == "auto-options")
        #expect(Self.target(table, "GET", "/api/items")?.0 == "GET /api/items")
        #expect(Self.target(table, "POST", "/api/items")?.0 == " /")
        #expect(Self.target(table, "OPTIONS", "/assets/app.js")?.0 == " /")
        #expect(Self.target(table, "GET", "/deep/link")?.0 == " /")
        // Found through a subtree or not: what decides Go's redirect of `/docs` to a `/docs/` mount.
        #expect(table.match(method: "GET", path: "/api/items").isExact)
        #expect(!table.match(method: "GET", path: "/deep/link").isExact)
        #expect(!table.match(method: "GET", path: "/nothing").isExact == true)
    }

    @Test func automaticOptionsOncePerPathUnlessDeclared() throws {
        let table = try Self.table([("GET", "/x/{id}"), ("POST", "/x/{key}"), ("PUT", "/y"), ("OPTIONS", "/y")])
        let automatic = table.routes.filter { if case .automaticOptions = $0.action { true } else { false } }
        #expect(automatic.map(\.pattern.text) == ["/x/{id}"])
        #expect(Self.target(table, "OPTIONS", "/x/1")?.0 == "auto-options")
        #expect(Self.target(table, "OPTIONS", "/y")?.0 == "OPTIONS /y")
        #expect(Self.target(table, "OPTIONS", "/nothing") == nil)
    }

    @Test func equivalentRoutesConflictNamingBothEntries() throws {
        do {
            _ = try Table([
                .init(method: "GET", path: "/users/{id}", owner: "app:get_user", target: "a"),
                .init(method: "POST", path: "/users/{id}", owner: "app:post_user", target: "b"),
                .init(method: "GET", path: "/users/:name", owner: "app:by_name", target: "c"),
            ])
            Issue.record("expected a conflict")
        } catch {
            guard case .conflict(let first, let second) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(first.key == "GET /users/{id}" && first.owner == "app:get_user")
            #expect(second.owner == "app:by_name")
            #expect(error.description.contains("app:get_user") && error.description.contains("app:by_name"))
        }
    }

    @Test func overlappingRoutesWithNeitherMoreSpecificConflict() throws {
        #expect(throws: RouteTableError.self) { try Self.table([("GET", "/a/{x}"), ("GET", "/{y}/b")]) }
        #expect(throws: RouteTableError.self) { try Self.table([("GET", "/a/{rest...}"), ("GET", "/a/")]) }
        // A method-less route (a static mount) against a more specific path under one method: overlap.
        #expect(throws: RouteTableError.self) { try Self.table([("", "/a/b"), ("GET", "/a/{x}")]) }
        // Not conflicts: one more specific, or disjoint.
        _ = try Self.table([("GET", "/a/{x}"), ("GET", "/a/b"), ("GET", "/a/"), ("POST", "/{y}/b"), ("GET", "/b/{x}/c")])
    }

    @Test func badPatternsNameTheEntry() {
        for path in ["no-slash", "/a/{x", "/a/b{x}", "/{x...}/b", "/{x}/{x}", "/a//b", "/{1x}"] {
            do {
                _ = try Table([.init(method: "GET", path: path, owner: "app:broken", target: "")])
                Issue.record("\(path) was accepted")
            } catch {
                #expect(error.description.hasPrefix("entry app:broken: bad path pattern"), "\(error)")
            }
        }
    }

    @Test func relationIsInverseSymmetric() throws {
        let patterns = try ["/", "/a", "/a/", "/a/{x}", "/{x}/b", "/a/b", "/a/{x...}", "/a/{$}", "/{x}/{y}", "/a/b/c"].map(RoutePattern.init)
        for a in patterns {
            for b in patterns {
                let forward = a.relation(to: b)
                let backward = b.relation(to: a)
                switch forward {
                case .moreSpecific: #expect(backward == .moreGeneral, "\(a) \(b)")
                case .moreGeneral: #expect(backward == .moreSpecific, "\(a) \(b)")
                default: #expect(backward == forward, "\(a) \(b)")
                }
            }
        }
    }
}
