import Foundation
import Testing
import WippyBoot
import WippyCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Endpoints added, changed and removed through the registry API serve the next request on the running
/// server (no restart); a conflicting one is refused naming both entries while the old table keeps serving.
@Suite struct HTTPLiveRoutesTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - name: gateway
            kind: http.service
            # Placeholders are expanded (the variable is not set: the default applies).
            addr: "${env:WIPPY_HTTP_TEST_UNSET_ADDR|127.0.0.1:0}"
            lifecycle: {auto_start: true}
          - name: api
            kind: http.router
            meta: {server: gateway}
          - name: answer
            kind: function.lua
            method: handler
            source: |
              return { handler = function() return {v = 1} end }
        """

    /// GET on the port of the server's latest "listening on" line, read at each request: on a loaded machine
    /// a start can pass its `start_timeout` and the service starts again on another port (the test waits for
    /// the service to be running first, ``LogSignals/servingPort(_:within:)``).
    ///
    /// A refused connection is tried again only once the server has logged a newer "listening on" line (a
    /// restart), waited for up to 10 s; otherwise the failure is reported with the application's log.
    static func get(_ log: LogSignals, _ path: String) async throws -> (Int, String) {
        let prefix = "http server app:gateway listening on"
        let line = try #require(log.messages.last { $0.hasPrefix(prefix) })
        let port = try #require(Int(line.split(separator: ":").last ?? ""))
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 30
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
        } catch {
            let listening = log.messages.filter { $0.hasPrefix(prefix) }.count
            let deadline = ContinuousClock.now + .seconds(10)
            while log.messages.filter({ $0.hasPrefix(prefix) }).count == listening && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            guard log.messages.filter({ $0.hasPrefix(prefix) }).count > listening else {
                Issue.record("GET \(path) on port \(port) failed (\(error)); the application's log: \(log.messages)")
                throw error
            }
            return try await get(log, path)
        }
    }

    static func endpoint(_ name: String, path: String, method: String = "GET") -> Entry {
        Entry(
            id: EntryID(parsing: "app:\(name)"), kind: "http.endpoint", meta: Payload.map([("router", "api")]).tableValue!,
            data: .map([("method", .string(method)), ("path", .string(path)), ("func", "answer")]))
    }

    @Test func routesFollowTheRegistry() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        #expect(await test.log.servingPort() != nil, "log: \(test.log.messages)")
        let log = test.log
        #expect(try await Self.get(log, "/one").0 == 404)

        try test.app.registry.apply([.create(Self.endpoint("one", path: "/one"))])
        #expect(try await Self.get(log, "/one") == (200, #"{"v":1}"#))

        // Changed path: the old one is gone, the new one answers.
        try test.app.registry.apply([.update(Self.endpoint("one", path: "/uno/{x}"))])
        #expect(try await Self.get(log, "/one").0 == 404)
        #expect(try await Self.get(log, "/uno/7").0 == 200)

        // Changed function code: the next request runs it.
        var function = try #require(test.app.registry.entry(EntryID(parsing: "app:answer")))
        function.data = .map([("method", "handler"), ("source", "return { handler = function() return {v = 2} end }")])
        try test.app.registry.apply([.update(function)])
        #expect(try await Self.get(log, "/uno/7") == (200, #"{"v":2}"#))

        // A conflict is refused, naming both entries; the table in service stays.
        #expect {
            try test.app.registry.apply([.create(Self.endpoint("clash", path: "/uno/{y}"))])
        } throws: { error in
            let message = (error as? WippyError)?.message ?? ""
            return message.contains("app:clash") && message.contains("app:one") && message.contains("route conflict")
        }
        #expect(try await Self.get(log, "/uno/8").0 == 200)

        // Removed: 404.
        try test.app.registry.apply([.delete(EntryID(parsing: "app:one"))])
        #expect(try await Self.get(log, "/uno/7").0 == 404)
        await test.stop()
    }
}
