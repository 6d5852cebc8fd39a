import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `wippy run` on an app with an SPA mount, a CORS router with `metrics`, and `.wippy.yaml` turning on the
/// Prometheus endpoint: raw requests over loopback, including paths that try to leave the static root.
@Suite struct HTTPStaticAppTests {
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
            static_options: {spa: true, index: index.html}
          - name: api
            kind: http.router
            meta: {server: gateway}
            prefix: /api
            middleware: [cors, metrics]
          - name: docs
            kind: http.static
            meta: {server: gateway}
            path: /docs
            fs: public
          - name: hello
            kind: function.lua
            method: handler
            source: |
              return { handler = function() return {message = "hello"} end }
          - name: hello.get
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /hello
            func: hello
        """

    static func port(after text: String, in output: String) -> Int {
        guard let range = output.range(of: text) else { return 0 }
        return Int(output[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    @Test func spaCorsMetricsAndEscapes() async throws {
        let project = try TemporaryProject(files: [
            "src/_index.yaml": Self.index,
            "public/index.html": "<h1>spa</h1>",
            "public/app.css": "body{}",
            "secret.txt": "TOP SECRET",
            ".wippy.yaml": "version: \"1.0\"\nprometheus:\n  enabled: true\n  address: \"127.0.0.1:0\"\n",
        ])
        let run = try RunningWippy(["run"], in: project.root)
        defer { run.signal(SIGTERM) }
        let listening = await run.waitFor("http server app:gateway listening on 127.0.0.1:", within: .seconds(60))
        let scraping = await run.waitFor("metrics served on http://127.0.0.1:", within: .seconds(60))
        #expect(listening && scraping, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        guard listening, scraping else { return }
        let port = Self.port(after: "http server app:gateway listening on 127.0.0.1:", in: run.stdout)
        let metricsPort = Self.port(after: "metrics served on http://127.0.0.1:", in: run.stdout)

        let deep = await HTTPBadInputTests.exchange(port, ["GET /orders/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
        #expect(deep.received.hasPrefix("HTTP/1.1 200"), "\(deep.received)")
        #expect(deep.received.contains("text/html; charset=utf-8") && deep.received.hasSuffix("<h1>spa</h1>"))
        let css = await HTTPBadInputTests.exchange(port, ["GET /app.css HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\nConnection: close\r\n\r\n"])
        #expect(css.received.hasPrefix("HTTP/1.1 206"), "\(css.received)")
        #expect(css.received.contains("text/css; charset=utf-8") && css.received.hasSuffix("\r\n\r\nbody"))

        // A mount named without its slash redirects to it (Go's ServeMux); its directory has an index.
        let bare = await HTTPBadInputTests.exchange(port, ["GET /docs?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
        #expect(bare.received.hasPrefix("HTTP/1.1 301"), "\(bare.received)")
        #expect(bare.received.lowercased().contains("location: /docs/?x=1"))
        let docs = await HTTPBadInputTests.exchange(port, ["GET /docs/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
        #expect(docs.received.hasPrefix("HTTP/1.1 200") && docs.received.hasSuffix("<h1>spa</h1>"), "\(docs.received)")

        // Out of the root, plainly or encoded: 400, nothing of the file.
        for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt"] {
            let escape = await HTTPBadInputTests.exchange(port, ["GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
            #expect(escape.received.hasPrefix("HTTP/1.1 400") || escape.received.hasPrefix("HTTP/1.1 404"), "\(path): \(escape.received)")
            #expect(!escape.received.contains("SECRET"))
        }

        let preflight = await HTTPBadInputTests.exchange(port, [
            "OPTIONS /api/hello HTTP/1.1\r\nHost: x\r\nOrigin: https://ui.test\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n"
        ])
        #expect(preflight.received.hasPrefix("HTTP/1.1 204"), "\(preflight.received)")
        #expect(preflight.received.lowercased().contains("access-control-allow-origin: *"))
        let hello = await HTTPBadInputTests.exchange(port, ["GET /api/hello HTTP/1.1\r\nHost: x\r\nOrigin: https://ui.test\r\nConnection: close\r\n\r\n"])
        #expect(hello.received.hasPrefix("HTTP/1.1 200") && hello.received.hasSuffix(#"{"message":"hello"}"#), "\(hello.received)")

        let scrape = await HTTPBadInputTests.exchange(metricsPort, ["GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
        #expect(scrape.received.hasPrefix("HTTP/1.1 200"), "\(scrape.received)")
        #expect(scrape.received.contains(#"wippy_http_requests_total{method="GET",path="/api/hello",status="200"} 1"#), "\(scrape.received)")
        // `cors` is listed before `metrics`: it answered the preflight outside it, uncounted.
        #expect(!scrape.received.contains(#"method="OPTIONS""#))
    }
}
