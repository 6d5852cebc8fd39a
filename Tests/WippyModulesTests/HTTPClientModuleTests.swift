import Foundation
import Testing
import WippyTestSupport
import WippyCore
import WippyModules
import WippyRuntime

/// `http_client` against a real HTTP server on loopback (``HTTPTestServer``).
@Suite(.timeLimit(.minutes(2))) struct HTTPClientModuleTests {
    /// Runs `body` (Lua, with `http_client` as `hc`, `json`, and `BASE` the server's URL) as a process.
    func run(_ body: String, server: HTTPTestServer, harness: ModulesHarness = ModulesHarness()) async -> ProcessResult {
        harness.install(
            "test:main",
            source: """
                return function()
                local hc = require("http_client")
                local json = require("json")
                local BASE = "\(server.base)"
                \(body)
                end
                """, modules: ["http_client", "json"])
        return await harness.runEntry("test:main")
    }

    @Test func methodsHeadersBodiesAndTheResponseTable() async throws {
        let server = try await HTTPTestServer()
        defer { Task { await server.stop() } }
        let result = await run("""
            local out = {}
            local function add(v) out[#out + 1] = v end
            local r, err = hc.get(BASE .. "/echo?a=1&b=2", {headers = {["X-Token"] = "t1", ["X-Num"] = 7}, query = {b = "3", c = "x y"}})
            assert(r, tostring(err))
            add(r.status_code); add(r.url == BASE .. "/echo?a=1&b=3&c=x+y")
            local echo = json.decode(r.body)
            add(echo.method); add(echo.uri); add(echo.headers["x-token"]); add(echo.headers["x-num"])
            add(r.body_size == #r.body)
            add(r.headers["Content-Type"]); add(r.headers["X-Multi"]); add(r.cookies.session)
            -- bodies
            r = assert(hc.post(BASE .. "/echo", {body = "plain text", headers = {["Content-Type"] = "text/plain"}}))
            echo = json.decode(r.body)
            add(echo.method); add(echo.body); add(echo.headers["content-type"])
            r = assert(hc.put(BASE .. "/echo", {form = {name = "two words", a = "&"}}))
            echo = json.decode(r.body)
            add(echo.method); add(echo.body); add(echo.headers["content-type"])
            r = assert(hc.patch(BASE .. "/echo", {body = json.encode({k = 1})}))
            add(json.decode(json.decode(r.body).body).k)
            r = assert(hc.delete(BASE .. "/echo", {cookies = {b = "2", a = "1"}, auth = {user = "u", pass = "p"}}))
            echo = json.decode(r.body)
            add(echo.method); add(echo.headers["cookie"]); add(echo.headers["authorization"])
            r = assert(hc.request("options", BASE .. "/echo"))
            add(json.decode(r.body).method)
            -- HEAD: no body; a non-2xx status is a response, not an error
            r = assert(hc.head(BASE .. "/echo"))
            add(r.status_code); add(r.body == nil); add(r.body_size)
            r, err = hc.get(BASE .. "/status/404")
            add(r.status_code); add(r.body); add(err == nil)
            r = assert(hc.get(BASE .. "/status/204"))
            add(r.status_code); add(r.body == nil)
            -- redirects are followed; url is the final one
            r = assert(hc.get(BASE .. "/redirect/3"))
            add(r.status_code); add(r.url == BASE .. "/echo"); add(json.decode(r.body).uri)
            -- multipart
            r = assert(hc.post(BASE .. "/echo", {form = {f = "v"}, files = {{name = "up", filename = "a.txt", content = "file body"}, {name = "skipped"}}}))
            echo = json.decode(r.body)
            add(echo.headers["content-type"]:match("^multipart/form%-data; boundary=") ~= nil)
            add(echo.body:find('name="up"; filename="a.txt"', 1, true) ~= nil); add(echo.body:find("file body", 1, true) ~= nil)
            add(echo.body:find('name="f"', 1, true) ~= nil); add(echo.body:find("skipped", 1, true) == nil)
            return out
            """, server: server)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(
            result.value
                == .array([
                    200, true, "GET", "/echo?a=1&b=3&c=x+y", "t1", "7", true, "application/json", "first", "abc123",
                    "POST", "plain text", "text/plain",
                    "PUT", "a=%26&name=two+words", "application/x-www-form-urlencoded",
                    1,
                    "DELETE", "a=1; b=2", "Basic dTpw",
                    "OPTIONS",
                    200, true, 0,
                    404, "status 404", true,
                    204, true,
                    200, true, "/echo",
                    true, true, true, true, true,
                ]))
    }

    @Test func badInputIsAClearErrorAndTheProcessGoesOn() async throws {
        let server = try await HTTPTestServer()
        defer { Task { await server.stop() } }
        let closed = try await HTTPTestServer.closedPort()
        let result = await run("""
            local out = {}
            local function add(v) out[#out + 1] = v end
            local function failure(r, err) add(r == nil); add(err:kind()); add(err:retryable()); add(err:message()) end
            -- raised: empty URL, wrong types
            add((pcall(hc.get, ""))); add((pcall(hc.get, 42))); add((pcall(hc.request, "", BASE)))
            add((pcall(hc.get, BASE, "opts"))); add((pcall(hc.get, BASE, {headers = {X = {}}})))
            add((pcall(hc.get, BASE, {timeout = true})))
            -- returned: bad URLs, a closed port, a timeout, redirect loops, a body too large, a bad duration
            failure(hc.get("not a url"))
            failure(hc.get("ftp://example.com/x"))
            failure(hc.get("http:///path"))
            failure(hc.get("http://127.0.0.1:\(closed)/echo"))
            failure(hc.get(BASE .. "/slow", {timeout = 0.3}))
            failure(hc.get(BASE .. "/slow", {timeout = "250ms"}))
            failure(hc.get(BASE .. "/loop"))
            failure(hc.get(BASE .. "/big/1000", {max_response_body = 100}))
            failure(hc.get(BASE .. "/echo", {timeout = "soon"}))
            failure(hc.get(BASE .. "/echo", {tls = {server_name = "other"}}))
            failure(hc.get(BASE .. "/echo", {tls = {ca = "not a certificate"}}))
            failure(hc.get(BASE .. "/echo", {tls = {cert = "x"}}))
            -- still running, and the client still works
            local r = assert(hc.get(BASE .. "/big/1000", {max_response_body = 1000}))
            add(r.body_size)
            return out
            """, server: server)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(
            result.value
                == .array([
                    false, false, false, false, false, false,
                    true, "Invalid", false, "invalid URL \"not a url\": missing scheme (http:// or https://)",
                    true, "Invalid", false, "invalid URL \"ftp://example.com/x\": unsupported protocol scheme \"ftp\"",
                    true, "Invalid", false, "invalid URL \"http:///path\": no host",
                    true, "Internal", true, .string("GET http://127.0.0.1:\(closed)/echo: connection refused"),
                    true, "Internal", true, .string("GET \(server.base)/slow: timeout after 300ms"),
                    true, "Internal", true, .string("GET \(server.base)/slow: timeout after 250ms"),
                    true, "Internal", false, .string("GET \(server.base)/loop: stopped after 10 redirects"),
                    true, "Internal", false, .string("GET \(server.base)/big/1000: response body exceeds 100 bytes"),
                    true, "Invalid", false, "invalid timeout \"soon\": time: invalid duration \"soon\"",
                    true, "Invalid", false, "tls.server_name is not supported",
                    true, "Invalid", false, "tls.ca is not a PEM certificate",
                    true, "Invalid", false, "tls: cert and key must be given together",
                    1000,
                ]))
    }

    /// A request waits off the worker: with one worker, a second process runs (and releases the first's
    /// request) while the first is suspended in `http_client.get`. Were the worker blocked, the first request
    /// would time out (30 s) before the second could run.
    @Test func aWaitingRequestLeavesTheWorkerFree() async throws {
        let server = try await HTTPTestServer()
        defer { Task { await server.stop() } }
        let harness = ModulesHarness(workers: 1)
        harness.install(
            "test:held", source: """
                return function()
                local r, err = require("http_client").get("\(server.base)/hold", {timeout = 30})
                return r and r.body or tostring(err)
                end
                """, modules: ["http_client"])
        harness.install(
            "test:release", source: """
                return function()
                local r = assert(require("http_client").get("\(server.base)/release?wait=1", {timeout = 30}))
                return r.body
                end
                """, modules: ["http_client"])
        let held = harness.startEntry("test:held")
        let release = await harness.runEntry("test:release")
        #expect(release.error == nil, "\(String(describing: release.error))")
        #expect(release.value == "1")
        let first = await held.value
        #expect(first.value == "released")
    }

    /// A process ended while its request is on the wire loses only that response: the late completion
    /// resumes nothing and the worker goes on serving.
    @Test func aProcessEndedDuringItsRequestLosesOnlyTheResponse() async throws {
        let server = try await HTTPTestServer()
        defer { Task { await server.stop() } }
        let harness = ModulesHarness(workers: 1)
        harness.install(
            "test:victim", source: """
                return function(parent)
                local hc = require("http_client")
                process.send(parent, "requesting")
                hc.get("\(server.base)/hold", {timeout = 30})
                process.send(parent, "resumed")
                end
                """, modules: ["http_client"])
        harness.install(
            "test:main", source: """
                return function()
                local hc = require("http_client")
                local victim = process.spawn_monitored("test:victim", "app:processes", process.pid())
                local first = process.inbox():receive()
                process.terminate(victim)
                local event = process.events():receive()
                -- answers the dead process's request (the server waits for it to arrive if needed)
                local released = assert(hc.get("\(server.base)/release?wait=1", {timeout = 30}))
                local echo = assert(hc.get("\(server.base)/echo"))
                return {first:topic(), event.kind == process.event.EXIT, released.body, echo.status_code}
                end
                """, modules: ["http_client"])
        let result = await harness.runEntry("test:main")
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == .array(["requesting", true, "1", 200]))
        harness.install("test:after", source: "return function() return 'still serving' end")
        #expect(await harness.runEntry("test:after").value == "still serving")
    }

    @Test func streamedResponsesAreReadPieceByPiece() async throws {
        let server = try await HTTPTestServer()
        defer { Task { await server.stop() } }
        let result = await run("""
            local r = assert(hc.get(BASE .. "/stream", {stream = true}))
            local parts, reads = {}, 0
            while true do
                local chunk, err = r.stream:read(4)
                assert(err == nil, tostring(err))
                if chunk == nil then break end
                reads = reads + 1
                parts[#parts + 1] = chunk
                assert(#chunk <= 4)
            end
            local stat = r.stream:stat()
            r.stream:close(); r.stream:close()
            local again = r.stream:read()
            -- the timeout covers reading the body: a stream that stops sending ends with an error
            local slow = assert(hc.get(BASE .. "/trickle", {stream = true, timeout = 5}))
            local first = slow.stream:read()
            local late, lerr = slow.stream:read()
            local after, aerr = slow.stream:read()
            slow.stream:close()
            -- streaming is refused in a batch, before anything is sent
            local none, berr = hc.request_batch({{"GET", BASE .. "/echo"}, {"GET", BASE .. "/stream", {stream = true}}})
            return {r.status_code, r.body == nil, r.body_size, table.concat(parts), reads >= 4, stat.position, again == nil, none == nil, berr:kind(), berr:message(),
                first, late == nil, lerr:kind(), lerr:retryable(), lerr:message(), after == nil, aerr:message() == lerr:message()}
            """, server: server)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(
            result.value
                == .array([
                    200, true, -1, "alpha-beta-gamma", true, 16, true, true, "Invalid",
                    "request_batch: request 2: streaming is not allowed in a batch",
                    "first", true, "Internal", true, .string("GET \(server.base)/trickle: timeout after 5s"), true, true,
                ]))
    }

    @Test func batchesRunTogetherAndReportEachFailure() async throws {
        let server = try await HTTPTestServer()
        defer { Task { await server.stop() } }
        let closed = try await HTTPTestServer.closedPort()
        let result = await run("""
            local responses, errors = hc.request_batch({
                {"GET", BASE .. "/echo"},
                {"post", BASE .. "/echo", {body = "b"}},
                {"GET", BASE .. "/status/404"},
            })
            -- at the same time: the second request releases the first, which the server holds until then
            local held = hc.request_batch({{"GET", BASE .. "/hold", {timeout = 30}}, {"GET", BASE .. "/release?wait=1", {timeout = 30}}})
            local ok = {held[1].body, held[2].body}
            ok[#ok + 1] = errors == nil
            for i = 1, 3 do ok[#ok + 1] = responses[i].status_code end
            ok[#ok + 1] = json.decode(responses[2].body).method
            responses, errors = hc.request_batch({{"GET", BASE .. "/echo"}, {"GET", "http://127.0.0.1:\(closed)/"}})
            ok[#ok + 1] = responses[1].status_code; ok[#ok + 1] = responses[2] == nil
            ok[#ok + 1] = errors[1] == nil; ok[#ok + 1] = errors[2]:kind()
            local none, err = hc.request_batch({{"GET"}})
            ok[#ok + 1] = none == nil; ok[#ok + 1] = err:message()
            ok[#ok + 1] = (pcall(hc.request_batch, {}))
            return ok
            """, server: server)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(
            result.value
                == .array(["released", "1", true, 200, 200, 404, "POST", 200, true, true, "Internal", true, "request_batch: request 1 needs a URL", false]))
    }

    @Test func unixSocketsCarryTheURLsPathAndQuery() async throws {
        // Short: a socket path has a length limit. Removed at exit, after the server has stopped.
        let path = NSTemporaryDirectory() + "wippy-hc-\(UUID().uuidString.prefix(8)).sock"
        TemporaryPaths.register(path)
        let server = try await HTTPTestServer(unixSocketPath: path)
        defer { Task { await server.stop() } }
        let result = await run("""
            local r = assert(hc.get("http://localhost/echo?x=1", {unix_socket = "\(path)", query = {y = "2"}}))
            local _, err = hc.get("http://localhost/echo", {unix_socket = "\(path).missing"})
            return {r.status_code, json.decode(r.body).uri, err:kind(), err:retryable()}
            """, server: server)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == .array([200, "/echo?x=1&y=2", "Internal", true]))
    }

    @Test func httpsWithTheRequestsTrustRootsOrWithoutVerification() async throws {
        let server = try await HTTPTestServer(tls: true)
        defer { Task { await server.stop() } }
        let result = await run("""
            local CA = [[\(TestCertificate.certificatePEM)]]
            local _, untrusted = hc.get(BASE .. "/echo")
            local trusted = assert(hc.get(BASE .. "/echo", {tls = {ca = CA}}))
            local insecure = assert(hc.get(BASE .. "/status/201", {tls = {insecure_skip_verify = true}}))
            return {untrusted:kind(), untrusted:retryable(), untrusted:message() == "GET " .. BASE .. "/echo: TLS handshake failed: certificate verify failed",
                trusted.status_code, json.decode(trusted.body).method, insecure.status_code}
            """, server: server)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == .array(["Internal", true, true, 200, "GET", 201]))
    }

    @Test func aClientCertificateIsPresentedWhenGiven() async throws {
        let server = try await HTTPTestServer(tls: true, clientCertificates: true)
        defer { Task { await server.stop() } }
        let result = await run("""
            local CERT, KEY = [[\(TestCertificate.certificatePEM)]], [[\(TestCertificate.privateKeyPEM)]]
            local _, refused = hc.get(BASE .. "/echo", {tls = {ca = CERT}})
            local r = assert(hc.get(BASE .. "/echo", {tls = {ca = CERT, cert = CERT, key = KEY}}))
            local _, badKey = hc.get(BASE .. "/echo", {tls = {ca = CERT, cert = CERT, key = "nope"}})
            return {refused:kind(), r.status_code, badKey:message()}
            """, server: server)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == .array(["Internal", 200, "tls.key is not a PEM private key"]))
    }

    @Test func uriEncodingIsFormStyle() async throws {
        let server = try await HTTPTestServer()
        defer { Task { await server.stop() } }
        let result = await run("""
            local bad, err = hc.decode_uri("100%zz")
            return {hc.encode_uri("a b&c=d/é~"), hc.decode_uri("a+b%26c%3Dd%2F%C3%A9"), bad == nil, err:kind(), err:message()}
            """, server: server)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == .array(["a+b%26c%3Dd%2F%C3%A9~", "a b&c=d/é", true, "Invalid", "invalid URL escape \"%zz\""]))
    }
}
