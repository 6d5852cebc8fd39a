import Logging
import Testing
import WippyBoot
import WippyCore
import WippyModules

/// `http.service`, `http.router` and `http.endpoint` entries that cannot be served are refused at boot
/// with an error naming the entry (and for a route conflict, both entries).
@Suite struct HTTPKindTests {
    static func boot(_ entries: String) throws {
        let project = try TemporaryProject()
        defer { project.remove() }
        try project.writeLock()
        try project.write("src/_index.yaml", """
            version: "1.0"
            namespace: app
            entries:
              - name: processes
                kind: process.host
              - name: gateway
                kind: http.service
                addr: "127.0.0.1:0"
              - name: api
                kind: http.router
                meta: {server: gateway}
                prefix: /api
              - name: hello
                kind: function.lua
                method: handler
                source: |
                  return { handler = function() return {ok = true} end }
            \(entries)
            """)
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = .memory
        let app = try Application(options: options, modules: StandardModules.all(terminal: nil), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        app.shutdown()
    }

    static func refusal(_ entries: String) -> String {
        do {
            try boot(entries)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func aValidProjectBoots() throws {
        try Self.boot("""
              - name: one
                kind: http.endpoint
                meta: {router: api}
                method: GET
                path: /items/{id}
                func: hello
              - name: two
                kind: http.endpoint
                meta: {router: api}
                method: [GET, POST]
                path: /items/mine
                func: hello
            """)
    }

    @Test func conflictingRoutesNameBothEntries() {
        let message = Self.refusal("""
              - name: by_id
                kind: http.endpoint
                meta: {router: api}
                method: GET
                path: /items/{id}
                func: hello
              - name: by_name
                kind: http.endpoint
                meta: {router: api}
                method: GET
                path: /items/:name
                func: hello
            """)
        #expect(message.contains("route conflict"), "\(message)")
        #expect(message.contains("app:by_id") && message.contains("app:by_name"), "\(message)")
        #expect(message.contains("GET /api/items/{id}"), "\(message)")
    }

    @Test func badEntriesNameTheEntryAndField() {
        let lower = Self.refusal("""
              - name: lower
                kind: http.endpoint
                meta: {router: api}
                method: get
                path: /x
                func: hello
            """)
        #expect(lower.contains("app:lower") && lower.contains("'method'"), "\(lower)")
        let noRouter = Self.refusal("""
              - name: orphan
                kind: http.endpoint
                meta: {router: nowhere}
                method: GET
                path: /x
                func: hello
            """)
        #expect(noRouter.contains("app:orphan") && noRouter.contains("app:nowhere"), "\(noRouter)")
        let noFunction = Self.refusal("""
              - name: dangling
                kind: http.endpoint
                meta: {router: api}
                method: GET
                path: /x
                func: missing
            """)
        #expect(noFunction.contains("app:dangling") && noFunction.contains("app:missing"), "\(noFunction)")
        let badPath = Self.refusal("""
              - name: broken
                kind: http.endpoint
                meta: {router: api}
                method: GET
                path: /x/{open
                func: hello
            """)
        #expect(badPath.contains("app:broken") && badPath.contains("path"), "\(badPath)")
        let samePrefix = Self.refusal("""
              - name: api2
                kind: http.router
                meta: {server: gateway}
                prefix: /api/
            """)
        #expect(samePrefix.contains("app:api2") && samePrefix.contains("app:api"), "\(samePrefix)")
        let noAddr = Self.refusal("""
              - name: silent
                kind: http.service
            """)
        #expect(noAddr.contains("app:silent") && noAddr.contains("'addr'"), "\(noAddr)")
    }
}
