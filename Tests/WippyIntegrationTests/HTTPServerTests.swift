import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `wippy run` serving HTTP (issue 10): `http.service` + `http.router` + `http.endpoint` entries answered
/// over real loopback connections, with the reply rules of lua-api-io §1.3 and §2, and an endpoint's Lua file
/// edited while the server runs.
@Suite struct HTTPServerTests {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String

        func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    /// Starts `wippy run` on a copy of a fixture (`http` unless named); the port is the one the server logged
    /// (it binds port 0).
    static func start(_ fixture: String = "http") async throws -> (RunningWippy, Int, String) {
        let root = WippyBinary.fixture(fixture)
        let run = try RunningWippy(["run"], in: root)
        // The latest "listening on" line once the service is running: a start that passed its start_timeout
        // on a loaded machine is retried, on another port.
        let logged = await run.waitFor("service app:gateway is running", within: .seconds(120))
        #expect(logged, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        guard logged, let range = run.stdout.range(of: "listening on 127.0.0.1:", options: .backwards) else { throw CancellationError() }
        let port = Int(run.stdout[range.upperBound...].prefix { $0.isNumber }) ?? 0
        return (run, port, root)
    }

    static func request(
        _ port: Int, _ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let body { request.httpBody = Data(body.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
        return Reply(status: http.statusCode, headers: fields, body: String(decoding: data, as: UTF8.self))
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test func endpointsAnswerWithTheReplyRules() async throws {
        let (run, port, _) = try await Self.start()
        defer { run.signal(SIGTERM) }

        let hello = try await Self.request(port, "GET", "/api/hello")
        #expect(hello.status == 200)
        #expect(hello.header("Content-Type") == "application/json")
        #expect(Self.json(hello.body)["message"] as? String == "hello world")

        // Path parameters; a returned value is sent as JSON; a literal segment beats a wildcard.
        let item = try await Self.request(port, "GET", "/api/items/42?q=a+b&q=second")
        #expect(item.status == 200)
        #expect(item.header("Content-Type") == "application/json")
        let itemJSON = Self.json(item.body)
        #expect(itemJSON["id"] as? String == "42")
        #expect(itemJSON["q"] as? String == "a b")
        #expect(itemJSON["method"] as? String == "GET")
        #expect(itemJSON["path"] as? String == "/api/items/42")
        let special = try await Self.request(port, "GET", "/api/items/special")
        #expect(Self.json(special.body)["message"] as? String == "hello world")
        // `:name` is `{name}`; the catch-all is not a parameter.
        let cart = Self.json(try await Self.request(port, "GET", "/api/cart/u7/items/a/b").body)
        #expect(cart["user"] as? String == "u7")
        #expect(cart["rest"] == nil)
        #expect(cart["count"] as? Int == 1)

        // The body is read (suspending the handler), decoded, and readable once.
        let echo = try await Self.request(
            port, "POST", "/api/echo", body: #"{"n": 5, "list": [1, 2]}"#, headers: ["Content-Type": "application/json"])
        #expect(echo.status == 200)
        #expect(echo.header("X-Echo") == "yes")
        let lines = echo.body.split(separator: "\n")
        let echoJSON = Self.json(String(lines.first ?? ""))
        #expect((echoJSON["got"] as? [String: Any])?["n"] as? Int == 5)
        #expect(echoJSON["content_type"] as? String == "application/json")
        #expect(echoJSON["length"] as? Int == 24)
        #expect(echoJSON["second_read"] as? String == "Internal")
        // Headers after the first write are refused.
        #expect(lines.last == "Invalid")
        #expect(echo.header("X-Late") == nil)
        let badJSON = try await Self.request(port, "POST", "/api/echo", body: "{not json")
        #expect(badJSON.status == 400)
        #expect(Self.json(badJSON.body)["kind"] as? String == "Invalid")

        // Failures: 500 with the error text, for that request alone.
        let raised = try await Self.request(port, "GET", "/api/fail/raise")
        #expect(raised.status == 500)
        #expect(raised.body.contains("boom in handler"))
        let pair = try await Self.request(port, "GET", "/api/fail/pair")
        #expect(pair.status == 500)
        #expect(pair.body.contains("bad things happened"))
        let nothing = try await Self.request(port, "GET", "/api/fail/nothing")
        #expect(nothing.status == 500)
        #expect(nothing.body == "no response sent\n")
        let status = try await Self.request(port, "GET", "/api/fail/status")
        #expect(status.status == 202)
        #expect(try await Self.request(port, "GET", "/api/hello").status == 200)

        // A handler that never returns is ended at the write timeout (2 s) with a 500; requests that come
        // meanwhile are answered.
        async let looping = Self.request(port, "GET", "/api/fail/loop")
        #expect(try await Self.request(port, "GET", "/api/hello").status == 200)
        let loop = try await looping
        #expect(loop.status == 500)
        #expect(loop.body == "handler timed out\n")

        // No route: 404; other methods only: 405 with Allow; automatic HEAD and OPTIONS.
        let missing = try await Self.request(port, "GET", "/api/nothing-here")
        #expect(missing.status == 404)
        let wrongMethod = try await Self.request(port, "DELETE", "/api/hello")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET, HEAD, OPTIONS")
        let head = try await Self.request(port, "HEAD", "/api/hello")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        let options = try await Self.request(port, "OPTIONS", "/api/items/9")
        #expect(options.status == 204)

        // A graceful stop: the server closes and the runtime exits cleanly.
        run.signal(SIGTERM)
        #expect(await run.exit(within: .seconds(30)) == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        #expect(run.stdout.contains("service app:gateway is"), "\(run.stdout)")
    }

    @Test func anEditedEndpointServesTheNextRequest() async throws {
        let (run, port, root) = try await Self.start()
        defer { run.signal(SIGTERM) }
        #expect(await run.waitFor("runtime ready"))
        let before = try await Self.request(port, "GET", "/api/hello")
        #expect(Self.json(before.body)["message"] as? String == "hello world")

        // The Lua file changes: the next request runs the new code, on the same server.
        let edited = try String(contentsOfFile: root + "/src/hello.lua", encoding: .utf8)
            .replacingOccurrences(of: "hello world", with: "hello again")
        try edited.write(toFile: root + "/src/hello.lua", atomically: true, encoding: .utf8)
        #expect(await run.waitFor("reloaded src/hello.lua"), "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let after = try await Self.request(port, "GET", "/api/hello")
        #expect(Self.json(after.body)["message"] as? String == "hello again")

        // A new endpoint in the YAML is routed without a restart; a conflicting one is refused, naming both
        // entries, and the old table keeps serving.
        var index = try String(contentsOfFile: root + "/src/_index.yaml", encoding: .utf8)
        index += """
              - name: hello.alias
                kind: http.endpoint
                meta: {router: api}
                method: GET
                path: /greeting
                func: hello

            """
        try index.write(toFile: root + "/src/_index.yaml", atomically: true, encoding: .utf8)
        #expect(await run.waitFor("reloaded src/_index.yaml"), "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        #expect(try await Self.request(port, "GET", "/api/greeting").status == 200)
        index += """
              - name: hello.clash
                kind: http.endpoint
                meta: {router: api}
                method: GET
                path: /items/{other}
                func: hello

            """
        try index.write(toFile: root + "/src/_index.yaml", atomically: true, encoding: .utf8)
        #expect(await run.waitFor("reload rejected", within: .seconds(30)), "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let rejection = (run.stdout + run.stderr).split(separator: "\n").first { $0.contains("route conflict") }
        #expect(rejection?.contains("app:hello.clash") == true && rejection?.contains("app:item.get") == true, "\(run.stdout)")
        let item = try await Self.request(port, "GET", "/api/items/5")
        #expect(Self.json(item.body)["id"] as? String == "5")
        #expect(!run.stdout.contains("is failed"))
    }
}
