import Foundation
import Testing
import WippyBoot
import WippyCore
import WippyHTTP

/// The `sse_relay` post-match middleware (lua-api-io §1.5) over real loopback connections: a handler sets
/// `X-SSE-Relay` and returns; the stream outlives it, fed by a hub process that gets `sse.join`,
/// `sse.heartbeat` and `sse.leave` and sends `sse.message` / `sse.close` to the connection's PID.
@Suite struct HTTPSSERelayTests {
    static let project = """
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
          - name: api
            kind: http.router
            meta: {server: gateway}
            post_middleware: [sse_relay]
            post_options: {sserelay.allowed.origins: "http://good.example"}
          - name: hub
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              local function main()
                process.registry.register("relay-hub")
                local inbox = process.inbox()
                local clients = {}
                logger:info("hub ready")
                while true do
                  local msg = inbox:receive()
                  local topic, data = msg:topic(), msg:payload():data()
                  if topic == "sse.join" then
                    clients[data.client_pid] = true
                    process.send(data.client_pid, "sse.message", {event = "welcome", data = data.metadata})
                    logger:info("hub join " .. data.path .. " from " .. tostring(msg:from() == data.client_pid))
                  elseif topic == "sse.heartbeat" then
                    logger:info("hub heartbeat")
                  elseif topic == "sse.leave" then
                    clients[data.client_pid] = nil
                    logger:info("hub leave " .. data.reason)
                  elseif topic == "broadcast" then
                    for pid in pairs(clients) do process.send(pid, "sse.message", {event = "news", data = data.text}) end
                  elseif topic == "flood" then
                    local chunk = string.rep("y", data.size)
                    for pid in pairs(clients) do
                      for i = 1, data.count do process.send(pid, "sse.message", {event = "bulk", data = chunk}) end
                    end
                    logger:info("hub flooded")
                  elseif topic == "kick" then
                    for pid in pairs(clients) do process.send(pid, "sse.close") end
                  end
                end
              end
              return { main = main }
          - name: hub.service
            kind: process.service
            process: hub
            host: app:processes
            lifecycle: {auto_start: true, stop_timeout: 1s}
          - name: connect
            kind: function.lua
            method: handler
            modules: [http, json]
            source: |
              local http = require("http")
              local json = require("json")
              return { handler = function()
                local res = http.response()
                res:set_header("X-SSE-Relay", json.encode({
                  target_pid = process.registry.lookup("relay-hub"),
                  heartbeat_interval = "300ms",
                  metadata = {user = "u1"},
                }))
              end }
          - name: broadcast
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                local text = http.request():query("text")
                local flood = tonumber(http.request():query("flood") or "")
                if flood then process.send("relay-hub", "flood", {count = flood, size = tonumber(http.request():query("size"))})
                elseif text then process.send("relay-hub", "broadcast", {text = text}) else process.send("relay-hub", "kick", {}) end
                return {sent = true}
              end }
          - name: broken
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                http.response():set_header("X-SSE-Relay", "{not json")
              end }
          - name: connect.get
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /sse
            func: connect
          - name: broadcast.post
            kind: http.endpoint
            meta: {router: api}
            method: POST
            path: /broadcast
            func: broadcast
          - name: broken.get
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /broken
            func: broken
        """

    static func post(_ port: Int, _ path: String) async throws -> String {
        let connection = try RawHTTPConnection(port: port)
        connection.send("POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        _ = await connection.read { $0.contains("}") }
        return connection.text
    }

    @Test func aRelayedStreamOutlivesItsHandlerAndFollowsTheHub() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await HTTPStreamingTests.port(test, "gateway")
        #expect(await test.log.wait(for: "hub ready", within: .seconds(30)) != nil)

        let stream = try RawHTTPConnection(port: port)
        stream.send("GET /sse HTTP/1.1\r\nHost: localhost\r\nOrigin: http://good.example\r\n\r\n")
        #expect(await stream.read { $0.contains("event: welcome\ndata: {\"user\":\"u1\"}\n\n") }, "\(stream.text)")
        #expect(stream.text.hasPrefix("HTTP/1.1 200"), "\(stream.text)")
        #expect(stream.text.lowercased().contains("content-type: text/event-stream"), "\(stream.text)")
        #expect(!stream.text.lowercased().contains("x-sse-relay"), "\(stream.text)")
        #expect(await test.log.wait(for: "hub join /sse from true", within: .seconds(30)) != nil, "\(test.log.messages)")
        // The handler has returned: no exchange is registered for it, yet the stream goes on.
        #expect(await HTTPStreamingTests.exchanges("/sse") { $0.isEmpty } != nil)
        #expect(await stream.read { $0.contains(": heartbeat\n\n") }, "\(stream.text)")
        #expect(await test.log.wait(for: "hub heartbeat", within: .seconds(30)) != nil)

        #expect(try await Self.post(port, "/broadcast?text=hi").contains("\"sent\":true"))
        #expect(await stream.read { $0.contains("event: news\ndata: \"hi\"\n\n") }, "\(stream.text)")

        // The client leaves: the hub hears it.
        stream.abort()
        #expect(await test.log.wait(for: "hub leave client gone", within: .seconds(30)) != nil, "\(test.log.messages)")

        // The hub closes a stream: it ends.
        let second = try RawHTTPConnection(port: port)
        second.send("GET /sse HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(await second.read { $0.contains("event: welcome") }, "\(second.text)")
        _ = try await Self.post(port, "/broadcast")
        #expect(await second.read { $0.hasSuffix("0\r\n\r\n") }, "\(second.text)")
        #expect(await test.log.wait(for: "hub leave closed", within: .seconds(30)) != nil, "\(test.log.messages)")
        // Stopped off the concurrency pool (a blocking shutdown in deinit would hold one of its threads).
        await test.app.stop()
    }

    /// A client that does not read while its hub sends 400 events of 64 KB: under the default
    /// `host.buffer_size` (1024 events) its queue stops at the 16 MiB byte bound, the stream ends with a
    /// warning naming the client, and the hub hears `sse.leave` "client too slow".
    @Test func aClientThatDoesNotReadIsDroppedWithAWarning() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await HTTPStreamingTests.port(test, "gateway")
        #expect(await test.log.wait(for: "hub ready", within: .seconds(30)) != nil)
        let sloth = try RawHTTPConnection(port: port, receiveBuffer: 4096)
        sloth.send("GET /sse HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(await test.log.wait(for: "hub join /sse", within: .seconds(30)) != nil, "\(test.log.messages)")
        #expect(try await Self.post(port, "/broadcast?flood=400&size=64000").contains("\"sent\":true"))
        let warning = await test.log.wait(for: "sse_relay: client", within: .seconds(30))
        #expect(warning?.contains("is not reading") == true && warning?.contains("limit 1024 messages") == true, "\(test.log.messages.suffix(10))")
        #expect(await test.log.wait(for: "hub leave client too slow", within: .seconds(30)) != nil, "\(test.log.messages.suffix(10))")
        sloth.abort()
        await test.app.stop()
    }

    /// `host.buffer_size` bounds the events queued for one client (lua-api-io §1.1): with 16, a client that
    /// does not read while its hub sends 5 000 small events (about 600 KB, under the old 1 MiB byte bound,
    /// so without the count it was never dropped) is dropped with a warning naming the limit, its connection
    /// is closed, the hub hears `sse.leave`, and the server goes on serving.
    @Test func aClientThatDoesNotReadIsDroppedAtTheBufferSize() async throws {
        let project = Self.project.replacingOccurrences(
            of: "    addr: \"127.0.0.1:0\"\n", with: "    addr: \"127.0.0.1:0\"\n    host: {buffer_size: 16}\n")
        #expect(project != Self.project)
        let test = try TestApplication(index: project, history: .memory)
        let port = try await HTTPStreamingTests.port(test, "gateway")
        #expect(await test.log.wait(for: "hub ready", within: .seconds(30)) != nil)
        let sloth = try RawHTTPConnection(port: port, receiveBuffer: 4096)
        sloth.send("GET /sse HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(await test.log.wait(for: "hub join /sse", within: .seconds(30)) != nil, "\(test.log.messages)")
        #expect(try await Self.post(port, "/broadcast?flood=5000&size=100").contains("\"sent\":true"))
        let warning = await test.log.wait(for: "sse_relay: client", within: .seconds(30))
        #expect(warning?.contains("is not reading") == true && warning?.contains("limit 16 messages") == true, "\(test.log.messages.suffix(10))")
        #expect(await test.log.wait(for: "hub leave client too slow", within: .seconds(30)) != nil, "\(test.log.messages.suffix(10))")
        #expect(await sloth.readToClose(), "the dropped client's connection stayed open")
        // Another client still gets its stream.
        let next = try RawHTTPConnection(port: port)
        next.send("GET /sse HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(await next.read { $0.contains("event: welcome") }, "\(next.text)")
        next.abort()
        await test.app.stop()
    }

    @Test func aForeignOriginOrABadHeaderIsRefused() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await HTTPStreamingTests.port(test, "gateway")
        #expect(await test.log.wait(for: "hub ready", within: .seconds(30)) != nil)
        let foreign = try RawHTTPConnection(port: port)
        foreign.send("GET /sse HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\n\r\n")
        #expect(await foreign.read { $0.contains("origin not allowed") }, "\(foreign.text)")
        #expect(foreign.text.hasPrefix("HTTP/1.1 403"), "\(foreign.text)")
        // Same origin as the Host is allowed.
        let same = try RawHTTPConnection(port: port)
        same.send("GET /sse HTTP/1.1\r\nHost: localhost:\(port)\r\nOrigin: http://localhost:\(port)\r\n\r\n")
        #expect(await same.read { $0.contains("event: welcome") }, "\(same.text)")
        same.abort()

        let broken = try RawHTTPConnection(port: port)
        broken.send("GET /broken HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(await broken.read { $0.contains("invalid JSON") }, "\(broken.text)")
        #expect(broken.text.hasPrefix("HTTP/1.1 500"), "\(broken.text)")
        // Stopped off the concurrency pool (a blocking shutdown in deinit would hold one of its threads).
        await test.app.stop()
    }
}
