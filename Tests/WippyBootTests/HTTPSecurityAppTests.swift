import Foundation
import Testing
import WippyBoot
import WippyCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `token_auth` and `endpoint_firewall` on `security.token_store` / `security.policy` entries, over real
/// loopback HTTP: a Lua handler writes token records into the store; the firewall answers 401/403 JSON
/// or lets the request through by the actor's policies; listed pre-match it answers 500.
@Suite struct HTTPSecurityAppTests {
    static let index = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - name: gateway
            kind: http.service
            addr: "127.0.0.1:0"
            lifecycle: {auto_start: true}
          - name: token_data
            kind: store.memory
          - name: tokens
            kind: security.token_store
            store: token_data
          - name: admin_policy
            kind: security.policy
            policy:
              actions: "*"
              resources: "*"
              effect: allow
              conditions:
                - field: actor.meta.role
                  operator: eq
                  value: admin
          # An expression policy: editors may reach the data endpoint.
          - name: editor_policy
            kind: security.policy.expr
            policy:
              actions: "*"
              resources: "*"
              effect: allow
              expression: 'actor.meta.role == "editor" && resource == "app:data.get" && actor.meta.level >= 3'
          - name: public
            kind: http.router
            meta: {server: gateway}
            prefix: /public
          - name: login
            kind: function.lua
            method: handler
            modules: [store]
            source: |
              local store = require("store")
              return { handler = function()
                local s = store.get("app:token_data")
                s:set("t-admin", {actor = {id = "ann", meta = {role = "admin"}}, policies = {"app:admin_policy"}})
                s:set("t-user", {actor = {id = "bob", meta = {role = "user"}}, policies = {"app:admin_policy"}})
                s:set("t-editor", {actor = {id = "eve", meta = {role = "editor", level = "5"}}, policies = {"app:editor_policy"}})
                s:set("t-novice", {actor = {id = "ned", meta = {role = "editor", level = "1"}}, policies = {"app:editor_policy"}})
                s:set("t-writer", {actor = {id = "wes", meta = {role = "writer", level = "9"}}, policies = {"app:editor_policy"}})
                s:release()
                return {ok = true}
              end }
          - name: login.get
            kind: http.endpoint
            meta: {router: public}
            method: GET
            path: /login
            func: login
          - name: secure
            kind: http.router
            meta: {server: gateway}
            prefix: /secure
            middleware: [token_auth]
            options: {token_auth.store: tokens}
            post_middleware: [endpoint_firewall]
          - name: data
            kind: function.lua
            method: handler
            source: |
              return { handler = function() return {secret = 42} end }
          - name: data.get
            kind: http.endpoint
            meta: {router: secure}
            method: GET
            path: /data
            func: data
          - name: broken
            kind: http.router
            meta: {server: gateway}
            prefix: /broken
            middleware: [endpoint_firewall]
          - name: broken.get
            kind: http.endpoint
            meta: {router: broken}
            method: GET
            path: /data
            func: data
        """

    @Test func tokensAndPoliciesGuardTheEndpoint() async throws {
        let test = try TestApplication(index: Self.index, history: .memory)
        let port = try #require(await test.log.servingPort(), "log: \(test.log.messages)")
        func get(_ path: String, _ headers: [String: String] = [:]) async throws -> (Int, String, String?) {
            let (status, fields, body) = try await HTTPMiddlewareAppTests.request(port, path, headers: headers)
            return (status, String(decoding: body, as: UTF8.self), fields["content-type"])
        }
        let (anonymous, anonymousBody, type) = try await get("/secure/data")
        #expect(anonymous == 401)
        #expect(type == "application/json" && anonymousBody.contains("unauthorized"))
        #expect(try await get("/public/login").0 == 200)
        #expect(try await get("/secure/data", ["Authorization": "Bearer t-admin"]) == (200, #"{"secret":42}"#, "application/json"))
        let (forbidden, forbiddenBody, _) = try await get("/secure/data", ["Authorization": "Bearer t-user"])
        #expect(forbidden == 403 && forbiddenBody.contains("forbidden"))
        #expect(try await get("/secure/data?x-auth-token=t-admin").0 == 200)
        // The expression policy: an editor of level 3 or more gets through; a novice or a writer does not.
        #expect(try await get("/secure/data", ["Authorization": "Bearer t-editor"]).0 == 200)
        #expect(try await get("/secure/data", ["Authorization": "Bearer t-novice"]).0 == 403)
        #expect(try await get("/secure/data", ["Authorization": "Bearer t-writer"]).0 == 403)
        #expect(try await get("/secure/data", ["Authorization": "Bearer t-unknown"]).0 == 401)
        // A firewall listed pre-match has no route information: 500 for every request.
        #expect(try await get("/broken/data", ["Authorization": "Bearer t-admin"]).0 == 500)
        await test.stop()
    }

    @Test func aBadExpressionRejectsItsEntry() throws {
        let bad = Self.index.replacingOccurrences(of: "&& actor.meta.level >= 3'", with: "&& actor.meta.level >= '")
        #expect {
            _ = try TestApplication(index: bad, history: .memory)
        } throws: { "\($0)".contains("app:editor_policy") && "\($0)".contains("expression") }
    }

    @Test func aTokenStoreMustNameAStore() throws {
        let bad = Self.index.replacingOccurrences(of: "store: token_data", with: "store: admin_policy")
        #expect {
            _ = try TestApplication(index: bad, history: .memory)
        } throws: { "\($0)".contains("app:tokens") && "\($0)".contains("store") }
        let badOption = Self.index.replacingOccurrences(of: "{token_auth.store: tokens}", with: "{token_auth.store: token_data}")
        #expect {
            _ = try TestApplication(index: badOption, history: .memory)
        } throws: { "\($0)".contains("app:secure") && "\($0)".contains("security.token_store") }
    }
}
