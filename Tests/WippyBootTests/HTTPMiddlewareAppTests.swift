import Foundation
import ServiceLifecycle
import Logging
import Synchronization
import Testing
import WippyBoot
import WippyCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small app over real loopback HTTP: an SPA from an `fs.directory`, a router with `cors`, `compress`,
/// `ratelimit` and `metrics`, and the Prometheus endpoint of `.wippy.yaml` counting its requests.
@Suite struct HTTPMiddlewareAppTests {
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
          - name: public
            kind: fs.directory
            directory: ./public
          - name: site
            kind: http.static
            meta: {server: gateway}
            path: /
            fs: public
            static_options: {spa: true, index: index.html, cache: no-cache}
          - name: api
            kind: http.router
            meta: {server: gateway}
            prefix: /api
            middleware: [cors, metrics, compress, ratelimit, sendfile]
            options:
              sendfile.fs: public
              cors.allow.origins: "https://*.example.com"
              ratelimit.requests: 1
              ratelimit.window: 1h
              ratelimit.burst: 3
              ratelimit.key: "header:X-Client"
              compress.min.length: 100
              an.unknown.option: ignored
          - name: big
            kind: function.lua
            method: handler
            source: |
              return { handler = function() return {text = string.rep("wippy ", 100)} end }
          - name: big_endpoint
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /big
            func: big
          - name: count
            kind: function.lua
            method: handler
            modules: [metrics]
            source: |
              local metrics = require("metrics")
              return { handler = function()
                local ok, err = metrics.counter_inc("orders_total", {kind = "web", n = 5})
                if not ok then return nil, err end
                return {ok = ok}
              end }
          - name: download
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                local res = http.response()
                res:set_header("X-Sendfile", "/assets/app.js")
                res:set_header("X-File-Name", "app.js")
                res:set_header("X-Extra", "kept")
              end }
          - name: download_endpoint
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /download
            func: download
          - name: escape
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                http.response():set_header("X-Sendfile", "../secret.txt")
              end }
          - name: escape_endpoint
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /escape
            func: escape
          - name: count_endpoint
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /count
            func: count
        """

    static func request(
        _ port: Int, _ path: String, method: String = "GET", headers: [String: String] = [:]
    ) async throws -> (Int, [String: String], Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 30
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            Issue.record("\(method) \(path) \(headers) on port \(port) failed: \(error)")
            throw error
        }
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields["\(name)".lowercased()] = "\(value)" }
        return (http.statusCode, fields, data)
    }

    @Test func staticCorsRateLimitGzipAndMetrics() async throws {
        let test = try TestApplication(index: Self.index, history: .memory) { project in
            try project.write("public/index.html", "<h1>app</h1>")
            try project.write("public/assets/app.js", "console.log('wippy')")
            try project.write("secret.txt", "SECRET")
            try project.write(".wippy.yaml", "version: \"1.0\"\nprometheus:\n  enabled: true\n  address: \"127.0.0.1:0\"\n")
        }
        let port = try #require(await test.log.servingPort(), "log: \(test.log.messages)")
        let metricsPort = Mutex<Int?>(nil)
        let ready = AsyncStream<Int>.makeStream()
        let endpoint = try #require(try test.app.metricsEndpoint { port in
            metricsPort.withLock { $0 = port }
            ready.continuation.yield(port)
        })
        let group = ServiceGroup(configuration: .init(services: [endpoint], logger: Logger(label: "metrics") { _ in SwiftLogNoOpLogHandler() }))
        let serving = Task { try await group.run() }
        defer { Task { await group.triggerGracefulShutdown() } }

        // SPA: a real asset with its type, a deep link gets the index, a range.
        let (assetStatus, assetHeaders, asset) = try await Self.request(port, "/assets/app.js")
        #expect(assetStatus == 200)
        #expect(assetHeaders["content-type"] == "text/javascript; charset=utf-8")
        #expect(assetHeaders["cache-control"] == "no-cache")
        #expect(String(decoding: asset, as: UTF8.self) == "console.log('wippy')")
        let (deepStatus, deepHeaders, deep) = try await Self.request(port, "/users/7/settings")
        #expect(deepStatus == 200)
        #expect(deepHeaders["content-type"] == "text/html; charset=utf-8")
        #expect(String(decoding: deep, as: UTF8.self) == "<h1>app</h1>")
        let (rangeStatus, rangeHeaders, range) = try await Self.request(port, "/assets/app.js", headers: ["Range": "bytes=8-10"])
        #expect(rangeStatus == 206)
        #expect(rangeHeaders["content-range"] == "bytes 8-10/20")
        #expect(String(decoding: range, as: UTF8.self) == "log")
        // The API route beats the static catch-all.
        let origin = "https://shop.example.com"
        let (preflight, preflightHeaders, _) = try await Self.request(
            port, "/api/big", method: "OPTIONS", headers: ["Origin": origin, "Access-Control-Request-Method": "GET", "X-Client": "cors"])
        #expect(preflight == 204)
        #expect(preflightHeaders["access-control-allow-origin"] == origin)
        #expect(preflightHeaders["access-control-allow-methods"]?.contains("GET") == true)

        // gzip, read raw (no client decoding): the buffered reply compressed whole, with its length.
        let gzip = await RawHTTP.exchange(port, "GET /api/big HTTP/1.1\r\nHost: x\r\nOrigin: \(origin)\r\nAccept-Encoding: gzip\r\nX-Client: gzip\r\nConnection: close\r\n\r\n")
        #expect(gzip.closed, "the response did not end; received: \(String(decoding: gzip.bytes, as: UTF8.self)); the application's log: \(test.log.messages)")
        #expect(gzip.head.status == 200)
        #expect(gzip.head.headers["access-control-allow-origin"] == origin)
        #expect(gzip.head.headers["content-encoding"] == "gzip")
        #expect(gzip.head.headers["content-length"] == String(gzip.body.count))
        #expect(Array(gzip.body.prefix(2)) == [0x1F, 0x8B])
        #expect(gzip.body.count < 100, "600 bytes of JSON, compressed")

        // The burst of 3 for one client, then 429 with the limit's headers; another client still passes.
        for _ in 0..<3 { #expect(try await Self.request(port, "/api/big", headers: ["X-Client": "greedy"]).0 == 200) }
        let (limited, limitedHeaders, _) = try await Self.request(port, "/api/big", headers: ["X-Client": "greedy"])
        #expect(limited == 429)
        #expect(limitedHeaders["x-ratelimit-limit"] == "1")
        #expect(limitedHeaders["x-ratelimit-window"] == "1h0m0s")
        #expect(try await Self.request(port, "/api/big", headers: ["X-Client": "patient"]).0 == 200)

        // sendfile: the handler names a file of the directory; ranges work; a path out of it is a 404.
        let (fileStatus, fileHeaders, file) = try await Self.request(port, "/api/download", headers: ["X-Client": "files"])
        #expect(fileStatus == 200)
        #expect(String(decoding: file, as: UTF8.self) == "console.log('wippy')")
        #expect(fileHeaders["content-disposition"] == #"attachment; filename="app.js""#)
        #expect(fileHeaders["x-extra"] == "kept")
        #expect(fileHeaders["x-sendfile"] == nil)
        let (partStatus, _, part) = try await Self.request(port, "/api/download", headers: ["X-Client": "files2", "Range": "bytes=0-6"])
        #expect(partStatus == 206 && String(decoding: part, as: UTF8.self) == "console")
        let (escapeStatus, _, escape) = try await Self.request(port, "/api/escape", headers: ["X-Client": "files3"])
        #expect(escapeStatus == 404)
        #expect(!String(decoding: escape, as: UTF8.self).contains("SECRET"))

        // The `metrics` module records into the same collector (the numeric label is dropped).
        let (countStatus, _, count) = try await Self.request(port, "/api/count", headers: ["X-Client": "counter"])
        #expect(countStatus == 200)
        #expect(String(decoding: count, as: UTF8.self) == #"{"ok":true}"#)

        // The middleware fed the collector the Prometheus endpoint serves.
        var iterator = ready.stream.makeAsyncIterator()
        var known = metricsPort.withLock { $0 }
        if known == nil { known = await iterator.next() }
        let scrapePort = try #require(known)
        let (metricsStatus, _, metrics) = try await Self.request(scrapePort, "/metrics")
        let text = String(decoding: metrics, as: UTF8.self)
        #expect(metricsStatus == 200)
        #expect(text.contains(#"wippy_http_requests_total{method="GET",path="/api/big",status="429"} 1"# + "\n"), "\(text)")
        #expect(text.contains(#"wippy_http_requests_total{method="GET",path="/api/big",status="200"}"#))
        #expect(text.contains("wippy_http_request_duration_seconds_bucket"))
        #expect(text.contains("wippy_http_requests_in_flight"))
        #expect(text.contains(#"orders_total{kind="web"} 1"# + "\n"), "\(text)")
        // The router edited through the registry: its routes carry the new chain on the next request.
        var router = try #require(test.app.registry.entry(EntryID(parsing: "app:api")))
        router.data = .map([("prefix", "/api"), ("middleware", .array(["cors"]))])
        try test.app.registry.apply([.update(router)])
        #expect(try await Self.request(port, "/api/big", headers: ["X-Client": "greedy"]).0 == 200)
        serving.cancel()
        await test.stop()
    }

    /// Without `prometheus.enabled` there is no collector: the module says so, the middleware is left out.
    @Test func metricsOffWithoutTheConfigFile() async throws {
        let test = try TestApplication(index: Self.index, history: .memory) { project in
            try project.write("public/index.html", "<h1>app</h1>")
        }
        let port = try #require(await test.log.servingPort(), "log: \(test.log.messages)")
        #expect(try test.app.metricsEndpoint() == nil)
        let (status, _, body) = try await Self.request(port, "/api/count", headers: ["X-Client": "off"])
        #expect(status == 500)
        #expect(String(decoding: body, as: UTF8.self).contains("metrics collector not available"))
        await test.stop()
    }

    @Test func unknownMiddlewareNamesTheRouter() throws {
        let bad = Self.index.replacingOccurrences(of: "[cors, metrics, compress, ratelimit, sendfile]", with: "[cors, turbo]")
        #expect {
            _ = try TestApplication(index: bad, history: .memory)
        } throws: { error in
            let message = "\(error)"
            return message.contains("app:api") && message.contains("turbo")
        }
        let badStatic = Self.index.replacingOccurrences(of: "fs: public", with: "fs: big")
        #expect {
            _ = try TestApplication(index: badStatic, history: .memory)
        } throws: { error in "\(error)".contains("app:site") && "\(error)".contains("fs.directory") }
        let badOption = Self.index.replacingOccurrences(of: "ratelimit.burst: 3", with: "ratelimit.burst: lots")
        #expect {
            _ = try TestApplication(index: badOption, history: .memory)
        } throws: { error in "\(error)".contains("app:api") && "\(error)".contains("ratelimit.burst") }
    }
}
