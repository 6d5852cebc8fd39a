import Testing
import WippyTestSupport

/// `wippy run` on a project whose process calls a loopback HTTP server through `http_client` (typed Lua,
/// the module listed in `modules:`): requests, a failure returned as an error object, and a batch.
@Suite(.timeLimit(.minutes(2))) struct HTTPClientAppTests {
    @Test func aProcessCallsAnHTTPServer() async throws {
        let server = try await HTTPTestServer()
        defer { Task { await server.stop() } }
        let closed = try await HTTPTestServer.closedPort()
        let project = try TemporaryProject.withMain(
            """
            local http_client = require("http_client")
            local json = require("json")
            local io = require("io")

            local function main(): integer
                local base: string = "\(server.base)"
                local r, err = http_client.post(base .. "/echo", {
                    headers = {["Content-Type"] = "application/json"}, body = json.encode({n = 1}), timeout = "10s",
                })
                if err then error(err) end
                local echo = json.decode(r.body)
                io.print(r.status_code, echo.method, echo.body, r.headers["Content-Type"])
                local _, failure = http_client.get("http://127.0.0.1:\(closed)/", {timeout = 5})
                io.print(failure:kind(), failure:retryable(), failure:message())
                local responses, errors = http_client.request_batch({{"GET", base .. "/status/201"}, {"GET", base .. "/redirect/2"}})
                io.print(responses[1].status_code, responses[2].status_code, responses[2].url == base .. "/echo", errors == nil)
                return 0
            end

            return { main = main }
            """, modules: ["http_client", "json", "io"])
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(run.stderr == "", "\(run.stderr)")
        #expect(run.stdout == """
            200\tPOST\t{"n":1}\tapplication/json
            Internal\ttrue\tGET http://127.0.0.1:\(closed)/: connection refused
            201\t200\ttrue\ttrue

            """)
        #expect(run.status == 0)
    }
}
