import Foundation
import Testing
import WippyBoot
import WippyCore
import WippyHTTP

/// Streamed responses over real loopback connections (lua-api-io §2.3, §11.7): an SSE stream fed by a
/// worker process arrives event by event while the handler runs; a client that leaves fails the handler's
/// next write and leaves nothing behind; a client that does not read holds the writer to a bounded queue;
/// `timeouts.write` ends a stream; `req:stream()` reads a body piece by piece and `timeouts.read` fails a
/// body that does not come.
@Suite struct HTTPStreamingTests {
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
          - name: capped
            kind: http.service
            addr: "127.0.0.1:0"
            timeouts: {write: 3s, read: 1s}
            lifecycle: {auto_start: true}
          - name: api
            kind: http.router
            meta: {server: gateway}
          - name: capped.api
            kind: http.router
            meta: {server: capped}
          - name: progress
            kind: process.lua
            method: main
            source: |
              local function main(client)
                process.registry.register("progress-worker")
                local inbox = process.inbox()
                process.send(client, "progress", {step = 1})
                inbox:receive()
                process.send(client, "progress", {step = 2})
                process.send(client, "progress", {step = 3})
                process.send(client, "done", {steps = 3})
              end
              return { main = main }
          - name: events
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                local res = http.response()
                local inbox = process.inbox()
                process.spawn("app:progress", "app:processes", process.pid())
                while true do
                  local msg = inbox:receive()
                  local err = res:write_event({name = msg:topic(), data = msg:payload():data()})
                  if err or msg:topic() == "done" then return end
                end
              end }
          - name: release
            kind: function.lua
            method: handler
            modules: [http, time]
            source: |
              local time = require("time")
              return { handler = function()
                local to = require("http").request():query("to") or "progress-worker"
                -- The receiver registers its name while the test asks: wait for it (bounded).
                for _ = 1, 1000 do
                  if process.registry.lookup(to) then break end
                  time.sleep("10ms")
                end
                local ok, err = process.send(to, "go", {})
                return {sent = ok == true, err = err and tostring(err) or nil}
              end }
          - name: ticker
            kind: function.lua
            method: handler
            modules: [http, time, logger]
            source: |
              local http = require("http")
              local time = require("time")
              local logger = require("logger")
              return { handler = function()
                local req, res = http.request(), http.response()
                local tag = req:query("tag") or "ticker"
                res:set_transfer("sse")
                local i = 0
                while true do
                  i = i + 1
                  local err = res:write_event({name = "tick", data = i})
                  if err then
                    logger:info("ticker " .. tag .. " stopped: " .. err:kind() .. " " .. err:message())
                    return
                  end
                  time.sleep("20ms")
                end
              end }
          - name: flood
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                local res = http.response()
                res:set_transfer("chunked")
                local chunk = string.rep("x", 65536)
                for i = 1, 256 do
                  if res:write(chunk) then return end
                end
                res:write("END")
              end }
          - name: upload
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                local req, res = http.request(), http.response()
                local stream, err = req:stream()
                if err then res:set_status(500) res:write(err:message()) return end
                local total, chunks = 0, 0
                while true do
                  local data, rerr = stream:read(1000)
                  if rerr then res:set_status(400) res:write("read failed: " .. rerr:message()) return end
                  if not data then break end
                  total, chunks = total + #data, chunks + 1
                end
                local _, again = req:body()
                return {total = total, chunks = chunks, second = again and again:kind() or "none"}
              end }
          - name: form
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                local req = http.request()
                local form, err = req:parse_multipart(1000)
                if err then return {error = err:kind() .. " " .. err:message()} end
                local files = {}
                for field, list in pairs(form.files) do
                  for _, f in ipairs(list) do
                    local s = f:stream()
                    local content = ""
                    while true do
                      local data = s:read(700)
                      if not data then break end
                      content = content .. data
                    end
                    files[#files + 1] = {field = field, name = f:name(), size = f:size(), type = f:header("Content-Type"),
                      length = #content, head = content:sub(1, 3)}
                  end
                end
                table.sort(files, function(a, b) return a.size < b.size end)
                if req:query("wait") then
                  process.registry.register("form-handler")
                  process.inbox():receive()
                end
                return {values = form.values, files = files}
              end }
          - name: events.get
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /events
            func: events
          - name: release.post
            kind: http.endpoint
            meta: {router: api}
            method: POST
            path: /release
            func: release
          - name: ticker.get
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /ticker
            func: ticker
          - name: flood.get
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /flood
            func: flood
          - name: upload.post
            kind: http.endpoint
            meta: {router: api}
            method: POST
            path: /upload
            func: upload
          - name: form.post
            kind: http.endpoint
            meta: {router: api}
            method: POST
            path: /form
            func: form
          - name: capped.ticker
            kind: http.endpoint
            meta: {router: capped.api}
            method: GET
            path: /capped/ticker
            func: ticker
          - name: capped.upload
            kind: http.endpoint
            meta: {router: capped.api}
            method: POST
            path: /upload
            func: upload
        """

    static func port(_ test: TestApplication, _ server: String) async throws -> Int {
        try #require(await test.log.servingPort(server), "log: \(test.log.messages)")
    }

    static func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n" }

    /// The exchanges of running invocations for `path`, waited for until `condition` holds (30 s).
    static func exchanges(_ path: String, until condition: ([HTTPExchange]) -> Bool) async -> [HTTPExchange]? {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let found = ActiveExchanges.shared.values.filter { $0.request.path == path }
            if condition(found) { return found }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    @Test func anSSEStreamFedByAProcessArrivesEventByEvent() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test, "gateway")
        let stream = try RawHTTPConnection(port: port)
        stream.send(Self.get("/events"))
        // The first event arrives while the worker still waits for "go": the handler is running.
        #expect(await stream.read { $0.contains("event: progress\ndata: {\"step\":1}\n\n") }, "\(stream.text)")
        let head = stream.text
        #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
        #expect(head.lowercased().contains("content-type: text/event-stream"), "\(head)")
        #expect(head.lowercased().contains("transfer-encoding: chunked"), "\(head)")
        #expect(!head.contains("step\":2"))
        #expect(ActiveExchanges.shared.values.contains { $0.request.path == "/events" })

        let release = try RawHTTPConnection(port: port)
        release.send("POST /release HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        #expect(await release.read { $0.contains("\"sent\":true") }, "\(release.text)")

        // The rest, then the end of the chunked body.
        #expect(await stream.read { $0.contains("event: done\ndata: {\"steps\":3}\n\n") && $0.hasSuffix("0\r\n\r\n") }, "\(stream.text)")
        #expect(stream.text.contains("event: progress\ndata: {\"step\":3}\n\n"))
        #expect(await Self.exchanges("/events") { $0.isEmpty } != nil)
        // Stopped off the concurrency pool (a blocking shutdown in deinit would hold one of its threads).
        await test.app.stop()
    }

    @Test func aClientThatLeavesFailsTheNextWriteAndLeavesNothingBehind() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test, "gateway")
        let stream = try RawHTTPConnection(port: port)
        stream.send(Self.get("/ticker?tag=leaver"))
        #expect(await stream.read { $0.contains("event: tick\ndata: 3\n\n") }, "\(stream.text)")
        stream.abort()
        let stopped = await test.log.wait(for: "ticker leaver stopped", within: .seconds(30))
        #expect(stopped == "ticker leaver stopped: Internal write failed", "\(test.log.messages)")
        #expect(await Self.exchanges("/ticker") { $0.isEmpty } != nil)

        // The server keeps serving.
        let next = try RawHTTPConnection(port: port)
        next.send(Self.get("/ticker?tag=next"))
        #expect(await next.read { $0.contains("data: 2\n\n") }, "\(next.text)")
        next.abort()
        #expect(await test.log.wait(for: "ticker next stopped", within: .seconds(30)) != nil)
        // Stopped off the concurrency pool (a blocking shutdown in deinit would hold one of its threads).
        await test.app.stop()
    }

    @Test func aSlowReaderHoldsTheWriterToABoundedQueue() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test, "gateway")
        let slow = try RawHTTPConnection(port: port, receiveBuffer: 4096)
        slow.send(Self.get("/flood"))
        // The handler fills the queue and waits there: nobody reads.
        let full = await Self.exchanges("/flood") { $0.first.map { $0.peakQueuedBytes >= HTTPExchange.queueLimit } ?? false }
        let exchange = try #require(full?.first, "the flood never filled its queue")
        #expect(exchange.isStreaming)
        // Reading everything lets it finish; the queue never held much more than the limit.
        #expect(await slow.read(within: .seconds(60)) { $0.hasSuffix("END\r\n0\r\n\r\n") }, "\(slow.byteCount) bytes")
        #expect(slow.byteCount > 256 * 65536)
        #expect(exchange.peakQueuedBytes <= HTTPExchange.queueLimit + 65536, "peak \(exchange.peakQueuedBytes)")
        #expect(await Self.exchanges("/flood") { $0.isEmpty } != nil)
        // Stopped off the concurrency pool (a blocking shutdown in deinit would hold one of its threads).
        await test.app.stop()
    }

    @Test func theWriteTimeoutEndsAStreamAndHeadGetsTheHeadAlone() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test, "capped")
        let stream = try RawHTTPConnection(port: port)
        stream.send(Self.get("/capped/ticker?tag=capped"))
        #expect(await stream.read { $0.contains("data: 1\n\n") }, "\(stream.text)")
        // `timeouts.write` (3 s) ends the handler and the stream: the chunked body ends.
        #expect(await stream.read(within: .seconds(60)) { $0.hasSuffix("0\r\n\r\n") }, "\(stream.text.suffix(200))")
        #expect(await Self.exchanges("/capped/ticker") { $0.isEmpty } != nil)

        let head = try RawHTTPConnection(port: port)
        head.send("HEAD /capped/ticker?tag=head HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(await head.read { $0.contains("\r\n\r\n") }, "\(head.text)")
        #expect(head.text.hasPrefix("HTTP/1.1 200"), "\(head.text)")
        #expect(head.text.lowercased().contains("content-type: text/event-stream"), "\(head.text)")
        #expect(!head.text.contains("data:"), "\(head.text)")
        // Stopped off the concurrency pool (a blocking shutdown in deinit would hold one of its threads).
        await test.app.stop()
    }

    @Test func aRequestBodyIsReadAsAStreamAndASlowBodyTimesOut() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test, "gateway")
        let body = String(repeating: "y", count: 100_000)
        let upload = try RawHTTPConnection(port: port)
        upload.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        #expect(await upload.read { $0.contains("}") }, "\(upload.text)")
        #expect(upload.text.contains("\"total\":100000"), "\(upload.text)")
        #expect(upload.text.contains("\"second\":\"Internal\""), "\(upload.text)")
        let chunks = upload.text.split(separator: "\"chunks\":").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        #expect(chunks >= 100, "\(upload.text)")

        // On the server with `timeouts.read: 1s`, a body that stops coming fails the read; others are served.
        let capped = try await Self.port(test, "capped")
        let stalled = try RawHTTPConnection(port: capped)
        stalled.send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "z", count: 1000))
        #expect(await stalled.read { $0.contains("read failed") }, "\(stalled.text)")
        #expect(stalled.text.hasPrefix("HTTP/1.1 400"), "\(stalled.text)")
        #expect(stalled.text.contains("timed out"), "\(stalled.text)")
        // Stopped off the concurrency pool (a blocking shutdown in deinit would hold one of its threads).
        await test.app.stop()
    }

    static func uploads() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)) ?? [])
            .filter { $0.hasPrefix("wippy-upload-") }
    }

    @Test func aMultipartFormSpillsLargeFilesAndRemovesThemAfterTheRequest() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let port = try await Self.port(test, "gateway")
        let big = String(repeating: "B", count: 5000)
        let body = [
            "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello form",
            "--XyZ\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\none",
            "--XyZ\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\ntwo",
            "--XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"small.txt\"\r\nContent-Type: text/plain\r\n\r\nsmall",
            "--XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\(big)",
            "--XyZ--\r\n",
        ].joined(separator: "\r\n")
        let before = Self.uploads()
        let upload = try RawHTTPConnection(port: port)
        upload.send(
            "POST /form?wait=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
        // While the handler runs, the big file sits in a temporary file.
        let deadline = ContinuousClock.now + .seconds(30)
        while Self.uploads().count <= before.count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let spilled = Set(Self.uploads()).subtracting(before)
        #expect(spilled.count == 1, "\(Self.uploads())")
        let release = try RawHTTPConnection(port: port)
        release.send("POST /release?to=form-handler HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        #expect(await release.read { $0.contains("\"sent\":true") }, "\(release.text)")
        #expect(await upload.read { $0.hasSuffix("}") }, "\(upload.text)")
        let json = upload.text.components(separatedBy: "\r\n\r\n").last ?? ""
        #expect(json.contains("\"title\":\"Hello form\""), "\(json)")
        #expect(json.contains("\"tag\":[\"one\",\"two\"]"), "\(json)")
        let files = try #require((try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["files"] as? [[String: Any]])
        #expect(files.count == 2, "\(json)")
        #expect(files.first?["name"] as? String == "small.txt" && files.first?["size"] as? Int == 5, "\(json)")
        #expect(files.first?["head"] as? String == "sma" && files.first?["type"] as? String == "text/plain", "\(json)")
        #expect(files.last?["name"] as? String == "big.bin" && files.last?["size"] as? Int == 5000, "\(json)")
        #expect(files.last?["length"] as? Int == 5000 && files.last?["head"] as? String == "BBB", "\(json)")
        #expect(files.allSatisfy { $0["field"] as? String == "doc" }, "\(json)")
        // The request ended: its temporary file is gone.
        let cleaned = ContinuousClock.now + .seconds(30)
        while !Set(Self.uploads()).isDisjoint(with: spilled) && ContinuousClock.now < cleaned { try await Task.sleep(for: .milliseconds(10)) }
        #expect(Set(Self.uploads()).isDisjoint(with: spilled))

        // Not multipart: Invalid.
        let plain = try RawHTTPConnection(port: port)
        plain.send("POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi")
        #expect(await plain.read { $0.contains("}") }, "\(plain.text)")
        #expect(plain.text.contains("Invalid"), "\(plain.text)")
        // Stopped off the concurrency pool (a blocking shutdown in deinit would hold one of its threads).
        await test.app.stop()
    }
}
