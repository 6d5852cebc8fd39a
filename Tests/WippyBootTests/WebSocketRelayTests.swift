import Foundation
import Testing
import WippyBoot
import WippyCore

/// The `websocket_relay` middleware end to end over loopback: a chat room process serving two WebSocket
/// clients through the relay, and the handshakes the relay refuses.
/// Serialized, and each test stops its application without holding a thread (the stop of an HTTP server runs
/// on the concurrency pool, which a blocking shutdown in parallel tests would starve).
@Suite(.serialized) struct WebSocketRelayTests {
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
            # At most 64 messages queued for a relayed client that does not read.
            host: {buffer_size: 64}
            lifecycle: {auto_start: true}
          - name: api
            kind: http.router
            meta: {server: gateway}
          - name: ws
            kind: http.router
            meta: {server: gateway}
            prefix: /ws
            post_middleware: [websocket_relay]
            # swift-websocket's client sends Origin ws://127.0.0.1.
            post_options: {wsrelay.allowed.origins: "http://allowed.example, ws://127.0.0.1"}
          # The same relay behind pre-match middleware: cors answers with its headers, ratelimit lets one
          # handshake per client through.
          - name: guarded
            kind: http.router
            meta: {server: gateway}
            prefix: /guarded
            middleware: [cors, ratelimit]
            options:
              cors.allow.origins: "http://allowed.example"
              ratelimit.requests: 1
              ratelimit.window: 1h
              ratelimit.burst: 1
              ratelimit.key: "header:X-Client"
            post_middleware: [websocket_relay]
            post_options: {wsrelay.allowed.origins: "http://allowed.example"}
          - name: guarded.endpoint
            kind: http.endpoint
            meta: {router: guarded}
            method: GET
            path: /chat
            func: connect
          - name: hello
            kind: function.lua
            method: handler
            source: |
              return { handler = function() return {message = "hello world"} end }
          - name: hello.endpoint
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /hello
            func: hello
          # The room: every client frame goes to every member as a "chat" message.
          - name: room
            kind: process.lua
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                process.registry.register("room")
                logger:info("room ready")
                local members, beats = {}, {}
                local inbox = process.inbox()
                while true do
                  local msg = inbox:receive()
                  local topic, data = msg:topic(), msg:payload():data()
                  if topic == "ws.join" then
                    members[data.client_pid] = data.metadata.user
                    process.send(data.client_pid, "welcome", {user = data.metadata.user, from = msg:from()})
                    logger:info("room join " .. data.metadata.user)
                  elseif topic == "ws.message" and data.data == "kick me" then
                    process.send(data.client_pid, "ws.close", {code = 4000, reason = "kicked"})
                  elseif topic == "ws.message" and data.data == "bytes please" then
                    process.send(data.client_pid, "blob", "\\255\\254")
                  elseif topic == "ws.message" then
                    local from = members[data.client_pid] or "?"
                    for pid in pairs(members) do
                      process.send(pid, "chat", {from = from, text = data.data})
                    end
                  elseif topic == "ws.heartbeat" and not beats[data.client_pid] then
                    beats[data.client_pid] = true
                    logger:info("room heartbeat " .. tostring(members[data.client_pid]))
                  elseif topic == "ws.leave" then
                    logger:info("room leave " .. tostring(members[data.client_pid]))
                    members[data.client_pid] = nil
                  end
                end
              end }
          - name: room.service
            kind: process.service
            process: room
            host: app:processes
            lifecycle: {auto_start: true, stop_timeout: 100ms}
          # Floods each client that joins with 4 000 messages of 8 KB (32 MB: more than any socket buffer).
          - name: flood
            kind: process.lua
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                process.registry.register("flood")
                local chunk = string.rep("x", 8000)
                local inbox = process.inbox()
                while true do
                  local msg = inbox:receive()
                  local data = msg:payload():data()
                  if msg:topic() == "ws.join" then
                    for i = 1, 4000 do process.send(data.client_pid, "chunk", chunk) end
                    logger:info("flood sent")
                  elseif msg:topic() == "ws.leave" then
                    logger:info("flood leave")
                  end
                end
              end }
          - name: flood.service
            kind: process.service
            process: flood
            host: app:processes
            lifecycle: {auto_start: true, stop_timeout: 100ms}
          - name: connect
            kind: function.lua
            method: handler
            modules: [http, json]
            source: |
              local http = require("http")
              local json = require("json")
              return { handler = function()
                local req, res = http.request(), http.response()
                local room = process.registry.lookup(req:query("to") or "room")
                if req:query("proto") then res:set_header("Sec-WebSocket-Protocol", req:query("proto")) end
                res:set_header("X-WS-Relay", json.encode({
                  target_pid = tostring(room), heartbeat_interval = req:query("beat") or "1h", metadata = {user = req:query("user")},
                }))
              end }
          - name: connect.endpoint
            kind: http.endpoint
            meta: {router: ws}
            method: GET
            path: /chat
            func: connect
          - name: broken
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function() http.response():set_header("X-WS-Relay", "{not json") end }
          - name: broken.endpoint
            kind: http.endpoint
            meta: {router: ws}
            method: GET
            path: /broken
            func: broken
          - name: refuse
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                local res = http.response()
                res:set_status(401)
                res:write("who are you")
              end }
          - name: refuse.endpoint
            kind: http.endpoint
            meta: {router: ws}
            method: GET
            path: /refuse
            func: refuse
          # A process of its own per connection, which ends when the client says "bye".
          - name: solo
            kind: process.lua
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                local inbox = process.inbox()
                while true do
                  local msg = inbox:receive()
                  if msg:topic() == "ws.message" and msg:payload():data().data == "bye" then
                    logger:info("solo ends")
                    return
                  end
                end
              end }
          - name: solo.connect
            kind: function.lua
            method: handler
            modules: [http, json]
            source: |
              local http = require("http")
              local json = require("json")
              return { handler = function()
                local pid = process.spawn("app:solo", "app:processes")
                http.response():set_header("X-WS-Relay", json.encode({target_pid = tostring(pid)}))
              end }
          - name: solo.endpoint
            kind: http.endpoint
            meta: {router: ws}
            method: GET
            path: /solo
            func: solo.connect
          # A Lua process on the other end: the `websocket` client module joins the room through the relay.
          - name: bot
            kind: function.lua
            method: handler
            modules: [http, websocket, time]
            source: |
              local http = require("http")
              local websocket = require("websocket")
              local time = require("time")
              return { handler = function()
                local port = http.request():query("port")
                local empty_raises = not pcall(websocket.connect, "")
                local _, scheme_err = websocket.connect("http://127.0.0.1/x")
                local _, closed_err = websocket.connect("ws://127.0.0.1:1/x", {dial_timeout = "10s"})
                local bad, bad_err = websocket.connect("ws://127.0.0.1:" .. port .. "/ws/refuse", {dial_timeout = 10000})
                local client, err = websocket.connect("ws://127.0.0.1:" .. port .. "/ws/chat?user=bot", {dial_timeout = "10s"})
                if not client then return {error = tostring(err)} end
                local ch = client:channel()
                local same = ch == client:receive()
                local sent = client:send("hello from lua")
                local pinged = client:ping()
                local got = {}
                local timeout = time.after("20s")
                while #got < 2 do
                  local r = channel.select({ch:case_receive(), timeout:case_receive()})
                  if r.channel ~= ch or not r.ok then break end
                  got[#got + 1] = r.value.type .. " " .. r.value.data
                end
                local closed = client:close(websocket.CLOSE_CODES.NORMAL, "bye")
                -- The channel closes once the connection ended.
                local ended = false
                local limit = time.after("20s")
                while true do
                  local r = channel.select({ch:case_receive(), limit:case_receive()})
                  if r.channel ~= ch then break end
                  if not r.ok then ended = true break end
                end
                return {
                  empty_raises = empty_raises, scheme = scheme_err and scheme_err:kind(),
                  closed = closed_err and (closed_err:kind() .. " " .. tostring(closed_err:retryable())),
                  refused = bad == nil and bad_err ~= nil, same = same, sent = sent, pinged = pinged, closed_ok = closed,
                  got = got, ended = ended, text = websocket.TEXT, normal = websocket.CLOSE_CODES.NORMAL,
                }
              end }
          # read_timeout: the room goes quiet after its welcome and chat; the connection ends on its own.
          - name: sleepy
            kind: function.lua
            method: handler
            modules: [http, websocket, time]
            source: |
              local http = require("http")
              local websocket = require("websocket")
              local time = require("time")
              return { handler = function()
                local url = "ws://127.0.0.1:" .. http.request():query("port") .. "/ws/chat?user=sleepy"
                local _, bad = websocket.connect(url, {compression = "zip"})
                local client, err = websocket.connect(url, {
                  read_timeout = 300, write_timeout = "5s", compression = "context_takeover", compression_threshold = 0,
                })
                if not client then return {error = tostring(err)} end
                local ch = client:channel()
                client:send("anyone awake?")
                local got, ended = 0, false
                local limit = time.after("20s")
                while true do
                  local r = channel.select({ch:case_receive(), limit:case_receive()})
                  if r.channel ~= ch then break end
                  if not r.ok then ended = true break end
                  got = got + 1
                end
                return {got = got, ended = ended, bad = bad and bad:kind()}
              end }
          - name: sleepy.endpoint
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /sleepy
            func: sleepy
          # Connects and returns without closing: the connection ends with the invocation.
          - name: ghost
            kind: function.lua
            method: handler
            modules: [http, websocket]
            source: |
              local http = require("http")
              local websocket = require("websocket")
              return { handler = function()
                local client = websocket.connect("ws://127.0.0.1:" .. http.request():query("port") .. "/ws/chat?user=ghost")
                return {connected = client ~= nil}
              end }
          - name: ghost.endpoint
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /ghost
            func: ghost
          - name: bot.endpoint
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /bot
            func: bot
        """

    static func port(_ log: LogSignals) async throws -> Int {
        try #require(await log.servingPort(), "log: \(log.messages)")
    }

    /// Whether `frame` is `{"topic":topic,"data":{…}}` with `data[key] == value` for every pair.
    static func matches(_ frame: String, topic: String, _ fields: [String: String]) -> Bool {
        guard let (name, data) = WebSocketTestClient.decode(frame), name == topic, let object = data as? [String: Any] else { return false }
        return fields.allSatisfy { object[$0.key] as? String == $0.value }
    }

    @Test func twoClientsChatThroughOneRoomProcess() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)

        let alice = WebSocketTestClient(url: "ws://127.0.0.1:\(port)/ws/chat?user=alice")
        let welcome = await alice.wait { Self.matches($0, topic: "welcome", ["user": "alice"]) }
        #expect(welcome != nil, "alice got \(alice.log.frames); log: \(test.log.messages)")
        // The room saw the connection's own PID as the sender (the PID it sends to).
        if let welcome, let data = WebSocketTestClient.decode(welcome)?.data as? [String: Any] {
            #expect((data["from"] as? String)?.hasPrefix("{") == true, "\(welcome)")
        }
        let bob = WebSocketTestClient(url: "ws://127.0.0.1:\(port)/ws/chat?user=bob")
        #expect(await bob.wait { Self.matches($0, topic: "welcome", ["user": "bob"]) } != nil, "bob got \(bob.log.frames)")

        alice.send("hi all")
        for client in [alice, bob] {
            let frame = await client.wait { Self.matches($0, topic: "chat", ["from": "alice", "text": "hi all"]) }
            #expect(frame != nil, "got \(client.log.frames)")
        }

        // Alice leaves: the room hears ws.leave and goes on serving Bob.
        alice.close()
        #expect(await test.log.wait(for: "room leave alice") != nil, "log: \(test.log.messages)")
        #expect(await alice.log.waitEnded())
        bob.send("still here")
        #expect(await bob.wait { Self.matches($0, topic: "chat", ["from": "bob", "text": "still here"]) } != nil, "got \(bob.log.frames)")
        #expect(!alice.log.frames.contains { $0.contains("still here") })
        bob.close()
        #expect(await test.log.wait(for: "room leave bob") != nil)
        await test.app.stop()
    }

    @Test func theRoomClosesSendsBytesAndHearsHeartbeats() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)
        let dave = WebSocketTestClient(url: "ws://127.0.0.1:\(port)/ws/chat?user=dave&beat=100ms")
        #expect(await dave.wait { Self.matches($0, topic: "welcome", ["user": "dave"]) } != nil, "dave got \(dave.log.frames)")
        // Heartbeats reach the room at the interval the endpoint asked for.
        #expect(await test.log.wait(for: "room heartbeat dave") != nil)
        // Bytes that are not UTF-8 travel base64-encoded.
        dave.send("bytes please")
        let blob = await dave.wait { $0.contains("\"blob\"") }
        #expect(blob.flatMap { WebSocketTestClient.decode($0)?.data as? String } == "//4=", "\(String(describing: blob))")
        // ws.close from the room ends the connection; the room hears ws.leave.
        dave.send("kick me")
        #expect(await dave.log.waitEnded(), "\(dave.log.frames)")
        #expect(await test.log.wait(for: "room leave dave") != nil)
        await test.app.stop()
    }

    @Test func refusedHandshakesGetAClearAnswerAndTheServerKeepsServing() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)

        // A plain request to a relay route: 400, the relay needs a handshake.
        let plain = await WebSocketRawHTTP.exchange(port, "GET /ws/chat?user=x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(plain.status == 400 && plain.received.contains("WebSocket handshake"), "\(plain.received)")

        // A bad X-WS-Relay: 500 naming the header, connection closed.
        let broken = await WebSocketRawHTTP.exchange(port, WebSocketRawHTTP.handshake("/ws/broken", port: port))
        #expect(broken.status == 500 && broken.received.contains("X-WS-Relay"), "\(broken.received)")
        #expect(broken.closed)

        // An origin the router does not list: 403 (the endpoint does not run: no join).
        let evil = await WebSocketRawHTTP.exchange(port, WebSocketRawHTTP.handshake("/ws/chat?user=mallory", port: port, headers: ["Origin: http://evil.example"]))
        #expect(evil.status == 403 && evil.closed, "\(evil.received)")

        // The endpoint's own refusal is sent as it is.
        let refused = await WebSocketRawHTTP.exchange(port, WebSocketRawHTTP.handshake("/ws/refuse", port: port, headers: ["Origin: http://allowed.example"]))
        #expect(refused.status == 401 && refused.received.contains("who are you"), "\(refused.received)")

        // A listed origin is upgraded.
        let allowed = await WebSocketRawHTTP.exchange(
            port, WebSocketRawHTTP.handshake("/ws/chat?user=carol", port: port, headers: ["Origin: http://allowed.example"]), done: { $0.contains("\r\n\r\n") })
        #expect(allowed.status == 101, "\(allowed.received)")
        #expect(await test.log.wait(for: "room join carol") != nil)
        #expect(test.log.first("room join mallory") == nil)

        // A handshake on a route without the relay: answered as the plain request (then closed).
        let notRelay = await WebSocketRawHTTP.exchange(port, WebSocketRawHTTP.handshake("/hello", port: port))
        #expect(notRelay.status == 200 && notRelay.received.contains("hello world") && notRelay.closed, "\(notRelay.received)")
        let nowhere = await WebSocketRawHTTP.exchange(port, WebSocketRawHTTP.handshake("/nowhere", port: port))
        #expect(nowhere.status == 404 && nowhere.closed, "\(nowhere.received)")

        // Another protocol asked for (`curl --http2` on http://): served as the plain HTTP/1.1 request.
        let h2c = await WebSocketRawHTTP.exchange(
            port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
            done: { $0.contains("hello world") })
        #expect(h2c.status == 200 && h2c.received.contains("hello world"), "\(h2c.received)")

        // Still serving.
        let hello = await WebSocketRawHTTP.exchange(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(hello.status == 200 && hello.received.contains("hello world"), "\(hello.received)")
        await test.app.stop()
    }

    /// Subprotocols: the endpoint picks one the client offered by setting `Sec-WebSocket-Protocol`, and the
    /// `101` carries it; a pick the client did not offer is refused with a 500 naming it; no pick, none.
    @Test func theEndpointPicksASubprotocolTheClientOffered() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)
        let offer = ["Origin: http://allowed.example", "Sec-WebSocket-Protocol: chat.v2, chat.v1"]
        let picked = await WebSocketRawHTTP.exchange(
            port, WebSocketRawHTTP.handshake("/ws/chat?user=pia&proto=chat.v1", port: port, headers: offer), done: { $0.contains("\r\n\r\n") })
        #expect(picked.status == 101, "\(picked.received)")
        #expect(picked.received.lowercased().contains("sec-websocket-protocol: chat.v1\r\n"), "\(picked.received)")
        let foreign = await WebSocketRawHTTP.exchange(port, WebSocketRawHTTP.handshake("/ws/chat?user=quin&proto=mqtt", port: port, headers: offer))
        #expect(foreign.status == 500 && foreign.received.contains("mqtt"), "\(foreign.received)")
        let none = await WebSocketRawHTTP.exchange(
            port, WebSocketRawHTTP.handshake("/ws/chat?user=ray", port: port, headers: offer), done: { $0.contains("\r\n\r\n") })
        #expect(none.status == 101 && !none.received.lowercased().contains("sec-websocket-protocol"), "\(none.received)")
        await test.app.stop()
    }

    /// A client that does not read while its process sends to it: the queue for it stops at `host.buffer_size`
    /// messages, the client is dropped with a warning naming it, and its target hears `ws.leave`; the server
    /// goes on serving. Without the bound the relay would queue all 32 MB and keep the connection.
    @Test func aClientThatDoesNotReadIsDroppedAtTheBufferSize() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)
        let connection = try RawHTTPConnection(port: port, receiveBuffer: 4096)
        connection.send(WebSocketRawHTTP.handshake("/ws/chat?user=sloth&to=flood", port: port, headers: ["Origin: http://allowed.example"]))
        #expect(await test.log.wait(for: "flood sent") != nil, "\(test.log.messages)")
        let warning = await test.log.wait(for: "websocket_relay: client")
        #expect(warning?.contains("is not reading") == true && warning?.contains("limit 64 messages") == true, "\(test.log.messages.suffix(20))")
        #expect(await test.log.wait(for: "flood leave") != nil)
        #expect(await connection.readToClose(), "the dropped client's connection stayed open")
        let hello = await WebSocketRawHTTP.exchange(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(hello.status == 200, "\(hello.received)")
        await test.app.stop()
    }

    /// A client that reuses a keep-alive connection for its handshake (after plain requests on it) is upgraded
    /// like one that asks on a new connection, and frames then travel both ways.
    @Test func aHandshakeAfterPlainRequestsOnOneConnectionUpgrades() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)
        let connection = try RawHTTPConnection(port: port)
        connection.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await connection.read { $0.contains("hello world") }, "\(connection.text)")
        connection.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await connection.read { $0.components(separatedBy: "hello world").count == 3 }, "\(connection.text)")
        connection.send(WebSocketRawHTTP.handshake("/ws/chat?user=kim", port: port, headers: ["Origin: http://allowed.example"]))
        #expect(await connection.read { $0.contains("HTTP/1.1 101") && $0.contains("welcome") }, "\(connection.text)")
        #expect(connection.text.lowercased().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), "\(connection.text)")
        #expect(await test.log.wait(for: "room join kim") != nil)
        // A masked text frame from the client reaches the room, whose answer comes back as a frame.
        connection.send(WebSocketRawHTTP.maskedText("late hello"))
        #expect(await connection.read { $0.contains("late hello") }, "\(connection.text)")
        connection.abort()
        #expect(await test.log.wait(for: "room leave kim") != nil)

        // A later handshake on a route without the relay is answered as the plain request, and the connection
        // closes (nothing after a request that asked for an upgrade can be read on it).
        let other = try RawHTTPConnection(port: port)
        other.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await other.read { $0.contains("hello world") }, "\(other.text)")
        other.send(WebSocketRawHTTP.handshake("/hello", port: port))
        #expect(await other.readToClose(within: .seconds(10)), "\(other.text)")
        #expect(other.text.components(separatedBy: "hello world").count == 3, "\(other.text)")
        await test.app.stop()
    }

    @Test func handshakesGoThroughTheRoutersPreMatchMiddleware() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)
        let headers = ["Origin: http://allowed.example", "X-Client: one"]

        // The first handshake of a client upgrades, with the headers cors adds on the way out.
        let first = await WebSocketRawHTTP.exchange(
            port, WebSocketRawHTTP.handshake("/guarded/chat?user=dora", port: port, headers: headers), done: { $0.contains("\r\n\r\n") })
        #expect(first.status == 101, "\(first.received)")
        #expect(first.received.lowercased().contains("access-control-allow-origin: http://allowed.example"), "\(first.received)")
        #expect(await test.log.wait(for: "room join dora") != nil)

        // The second is over the client's rate: ratelimit answers 429 and the endpoint never runs.
        let second = await WebSocketRawHTTP.exchange(port, WebSocketRawHTTP.handshake("/guarded/chat?user=eve", port: port, headers: headers))
        #expect(second.status == 429 && second.closed, "\(second.received)")

        // Another client still gets through.
        let other = await WebSocketRawHTTP.exchange(
            port, WebSocketRawHTTP.handshake("/guarded/chat?user=fay", port: port, headers: ["Origin: http://allowed.example", "X-Client: two"]),
            done: { $0.contains("\r\n\r\n") })
        #expect(other.status == 101, "\(other.received)")
        #expect(await test.log.wait(for: "room join fay") != nil)
        #expect(test.log.first("room join eve") == nil)
        await test.app.stop()
    }

    /// A handshake on `/ws/chat` until its status is `status` (the route table follows the registry on its own
    /// time), within a generous deadline; the last status seen.
    static func handshakeStatus(_ port: Int, becomes status: Int) async -> Int {
        let deadline = ContinuousClock.now + .seconds(30)
        var last = 0
        while ContinuousClock.now < deadline {
            let reply = await WebSocketRawHTTP.exchange(
                port, WebSocketRawHTTP.handshake("/ws/chat?user=late", port: port, headers: ["Origin: http://allowed.example"]),
                done: { $0.contains("\r\n\r\n") })
            last = reply.status ?? 0
            if last == status { return last }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return last
    }

    /// Deletes every relay route and the endpoints and routers they need, waits until a handshake gets 404,
    /// and returns the deleted entries (to create them again).
    static func removeRelayRoutes(_ test: TestApplication, _ port: Int) async throws -> [Entry] {
        let names = ["connect.endpoint", "broken.endpoint", "refuse.endpoint", "solo.endpoint", "guarded.endpoint", "ws", "guarded"]
        let entries = try names.map { try #require(test.app.registry.entry(EntryID(parsing: "app:\($0)"))) }
        try test.app.registry.apply(entries.map { .delete($0.id) })
        #expect(await handshakeStatus(port, becomes: 404) == 404)
        return entries
    }

    /// Servers without a relay route give new connections Hummingbird's plain pipeline; a relay route added
    /// while the server runs upgrades the connections made after it.
    @Test func relayRoutesRemovedAndAddedWhileRunning() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)
        let entries = try await Self.removeRelayRoutes(test, port)
        let hello = await WebSocketRawHTTP.exchange(port, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(hello.status == 200 && hello.received.contains("hello world"), "\(hello.received)")

        try test.app.registry.apply(entries.reversed().map { .create($0) })
        #expect(await Self.handshakeStatus(port, becomes: 101) == 101)
        #expect(await test.log.wait(for: "room join late") != nil)
        await test.app.stop()
    }

    /// A keep-alive connection made while no route relayed WebSockets (so it got Hummingbird's plain
    /// pipeline) is upgraded on a handshake after a relay route was added, and frames travel both ways.
    /// Before, it got 400 ("needs a WebSocket handshake") until the client reconnected.
    @Test func aConnectionOlderThanTheFirstRelayRouteUpgrades() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)
        let entries = try await Self.removeRelayRoutes(test, port)
        let old = try RawHTTPConnection(port: port)
        old.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await old.read { $0.contains("hello world") }, "\(old.text)")

        try test.app.registry.apply(entries.reversed().map { .create($0) })
        #expect(await Self.handshakeStatus(port, becomes: 101) == 101)
        old.send(WebSocketRawHTTP.handshake("/ws/chat?user=elder", port: port, headers: ["Origin: http://allowed.example"]))
        #expect(await old.read { $0.contains("HTTP/1.1 101") && $0.contains("welcome") }, "\(old.text)")
        #expect(await test.log.wait(for: "room join elder") != nil)
        old.send(WebSocketRawHTTP.maskedText("elder hello"))
        #expect(await old.read { $0.contains("elder hello") }, "\(old.text)")
        old.abort()
        #expect(await test.log.wait(for: "room leave elder") != nil)
        await test.app.stop()
    }

    @Test func aLuaProcessJoinsTheRoomWithTheWebSocketModule() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)
        let reply = await WebSocketRawHTTP.exchange(port, "GET /bot?port=\(port) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", limit: .seconds(60))
        #expect(reply.status == 200, "\(reply.received); log: \(test.log.messages)")
        let body = String(reply.received.split(separator: "\r\n\r\n", maxSplits: 1).last ?? "")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        #expect(object["refused"] as? Bool == true, "\(body)")
        #expect(object["same"] as? Bool == true, "\(body)")
        #expect(object["sent"] as? Bool == true && object["pinged"] as? Bool == true && object["closed_ok"] as? Bool == true, "\(body)")
        // Bad input: an empty URL raises, a non-ws URL is Invalid, a closed port a retryable Internal error.
        #expect(object["empty_raises"] as? Bool == true, "\(body)")
        #expect(object["scheme"] as? String == "Invalid", "\(body)")
        #expect(object["closed"] as? String == "Internal true", "\(body)")
        let got = object["got"] as? [String] ?? []
        #expect(got.count == 2, "\(body)")
        #expect(got.first.map { $0.hasPrefix("text ") && Self.matches(String($0.dropFirst(5)), topic: "welcome", ["user": "bot"]) } == true, "\(body)")
        #expect(got.last.map { Self.matches(String($0.dropFirst(5)), topic: "chat", ["from": "bot", "text": "hello from lua"]) } == true, "\(body)")
        #expect(object["ended"] as? Bool == true, "\(body)")
        #expect(object["text"] as? Int == 1 && object["normal"] as? Int == 1000, "\(body)")
        #expect(await test.log.wait(for: "room leave bot") != nil)

        // A client the invocation did not close is closed when the invocation ends.
        let ghost = await WebSocketRawHTTP.exchange(port, "GET /ghost?port=\(port) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", limit: .seconds(60))
        #expect(ghost.received.contains(#"{"connected":true}"#), "\(ghost.received)")
        #expect(await test.log.wait(for: "room leave ghost") != nil, "\(test.log.messages)")
        await test.app.stop()
    }

    @Test func aQuietServerEndsAClientWithAReadTimeout() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        #expect(await test.log.wait(for: "room ready") != nil)
        let reply = await WebSocketRawHTTP.exchange(port, "GET /sleepy?port=\(port) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", limit: .seconds(60))
        let body = String(reply.received.split(separator: "\r\n\r\n", maxSplits: 1).last ?? "")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(reply.received)")
        // The welcome and the echo of its message arrive; then nothing for 300 ms ends the connection.
        #expect(object["got"] as? Int == 2, "\(body)")
        #expect(object["ended"] as? Bool == true, "\(body)")
        #expect(object["bad"] as? String == "Invalid", "\(body)")
        #expect(await test.log.wait(for: "room leave sleepy") != nil, "\(test.log.messages)")
        await test.app.stop()
    }

    @Test func theConnectionClosesWhenItsProcessExits() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test.log)
        let erin = WebSocketTestClient(url: "ws://127.0.0.1:\(port)/ws/solo")
        #expect(await erin.wait { $0 == "(connected)" } != nil, "\(erin.log.frames)")
        erin.send("bye")
        #expect(await test.log.wait(for: "solo ends") != nil)
        #expect(await erin.log.waitEnded(), "\(erin.log.frames)")
        await test.app.stop()
    }
}
