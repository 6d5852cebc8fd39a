import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Testing
import WippyCore
import WippyResources
@testable import WippyHTTP

/// `token_auth` and the firewalls on a real policy catalog and a memory store of token records.
@Suite struct SecurityMiddlewareTests {
    static func source() throws -> HTTPSecuritySource {
        let catalog = SecurityCatalog()
        let storeID = EntryID(parsing: "app:token_data")
        catalog.replace(
            policies: [
                "app:admins": SecurityPolicy(
                    id: "app:admins", actions: ["*"], resources: ["*"], effect: .allow,
                    conditions: [.init(field: "actor.meta.role", op: .eq, values: ["admin"])]),
                "app:no_reports": SecurityPolicy(id: "app:no_reports", actions: ["access"], resources: ["app:reports"], effect: .deny),
            ],
            tokenStores: ["app:tokens": .init(store: storeID, defaultExpiration: .seconds(60))])
        let resources = ResourceTable()
        let store = MemoryKeyValueStore()
        try store.set("admin-token", .map([("actor", .map([("id", "ann"), ("meta", .map([("role", "admin")]))])), ("policies", .array(["app:admins"]))]), ttl: nil)
        try store.set("user-token", .map([("actor", .map([("id", "bob"), ("meta", .map([("role", "user")]))])), ("policies", .array(["app:admins"]))]), ttl: nil)
        try store.set("denied-token", .map([("actor", .map([("id", "cy"), ("meta", .map([("role", "admin")]))])), ("policies", .array(["app:admins", "app:no_reports"]))]), ttl: nil)
        resources.install(storeID, store)
        return HTTPSecuritySource(catalog: catalog, resources: resources)
    }

    static func route(_ entry: String) -> HTTPRouteInfo {
        HTTPRouteInfo(pattern: "GET /x", entry: entry, router: "app:api", function: "app:f", parameters: [])
    }

    /// token_auth → (route info) → firewall → handler, as the server runs them.
    static func call(
        _ source: HTTPSecuritySource, headers: HTTPFields = [:], path: String = "/x", entry: String = "app:reports",
        firewall: HTTPFirewallMiddleware? = nil
    ) async throws -> Response {
        let auth = try HTTPTokenAuthMiddleware(options: .init(["token_auth.store": "app:tokens"]), provider: source)
        let wall = firewall ?? HTTPFirewallMiddleware(endpointOptions: .init(), provider: source)
        return try await auth.handle(MiddlewareTests.request(.get, path, headers: headers), context: MiddlewareTests.context()) { request, context in
            var context = context
            context.route = route(entry)
            return try await wall.handle(request, context: context) { _, context in .plainText(.ok, context.security?.actorID ?? "nobody") }
        }
    }

    @Test func firewallsAnswer401And403AsJSON() async throws {
        let source = try Self.source()
        let anonymous = try await Self.call(source)
        #expect(anonymous.status == .unauthorized)
        #expect(anonymous.headers[.contentType] == "application/json")
        #expect(try await Self.call(source, headers: [.authorization: "Bearer nonsense"]).status == .unauthorized)
        let admin = try await Self.call(source, headers: [.authorization: "Bearer admin-token"], entry: "app:dashboard")
        #expect(admin.status == .ok)
        #expect(try await MiddlewareTests.body(admin) == Array("ann\n".utf8))
        #expect(try await Self.call(source, headers: [.authorization: "Bearer user-token"]).status == .forbidden)
        // A deny anywhere in the scope wins.
        #expect(try await Self.call(source, headers: [.authorization: "Bearer denied-token"], entry: "app:reports").status == .forbidden)
        #expect(try await Self.call(source, headers: [.authorization: "Bearer denied-token"], entry: "app:other").status == .ok)
        // resource_firewall checks its fixed target, whatever the route.
        let resource = try HTTPFirewallMiddleware(resourceOptions: .init(["resource_firewall.target": "app:reports"]), provider: source)
        #expect(try await Self.call(source, headers: [.authorization: "Bearer denied-token"], entry: "app:other", firewall: resource).status == .forbidden)
        #expect(throws: WippyError.self) { try HTTPFirewallMiddleware(resourceOptions: .init(), provider: source) }
    }

    @Test func tokenComesFromHeaderThenQueryThenCookie() async throws {
        let source = try Self.source()
        #expect(try await Self.call(source, path: "/x?x-auth-token=admin-token", entry: "app:a").status == .ok)
        #expect(try await Self.call(source, headers: [.cookie: "theme=dark; x-auth-token=admin-token"], entry: "app:a").status == .ok)
        // The header wins over the query.
        let both = try await Self.call(source, headers: [.authorization: "Bearer user-token"], path: "/x?x-auth-token=admin-token", entry: "app:a")
        #expect(both.status == .forbidden)
        #expect(throws: WippyError.self) { try HTTPTokenAuthMiddleware(options: .init(), provider: source) }
    }

    @Test func aFirewallListedPreMatchAnswers500() async throws {
        let source = try Self.source()
        let wall = HTTPFirewallMiddleware(endpointOptions: .init(), provider: source)
        let response = try await wall.handle(MiddlewareTests.request(), context: MiddlewareTests.context(), next: MiddlewareTests.ok)
        #expect(response.status == .internalServerError)
        #expect(try await String(decoding: MiddlewareTests.body(response), as: UTF8.self).contains("post_middleware"))
    }
}
