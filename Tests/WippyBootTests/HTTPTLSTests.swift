import Foundation
import Logging
import Testing
import WippyBoot
import WippyCore
import WippyModules

/// `http.service` TLS manual mode over real loopback: certificates made by openssl in the test, requests by
/// curl (a real TLS client); mTLS with a required, verified client certificate; and the configurations
/// refused at boot with an error naming the field.
@Suite struct HTTPTLSTests {
    /// Runs a command to its end on a thread of its own; returns its exit status and output.
    static func run(_ arguments: [String], in directory: String) async -> (status: Int32, output: String) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = arguments
                process.currentDirectoryURL = URL(fileURLWithPath: directory)
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                do {
                    try process.run()
                } catch {
                    return continuation.resume(returning: (-1, "\(error)"))
                }
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
            }
        }
    }

    /// A self-signed certificate for 127.0.0.1 / localhost (`name.pem`, `name.key`) in `directory`.
    static func makeCertificate(_ name: String, in directory: String) async throws {
        let result = await run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(name)",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", "\(name).key", "-out", "\(name).pem",
            ], in: directory)
        try #require(result.status == 0, "openssl: \(result.output)")
    }

    /// Copies certificate files into the project's `src` (for its `file://` references).
    static func copy(_ names: [String], from directory: String) -> (TemporaryProject) throws -> Void {
        { project in
            for name in names { try project.write("src/\(name)", String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)) }
        }
    }

    static func project(tls: String) -> String {
        """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - name: gateway
            kind: http.service
            addr: "127.0.0.1:0"
            tls:
        \(tls)
            lifecycle: {auto_start: true}
          - name: api
            kind: http.router
            meta: {server: gateway}
          - name: hello
            kind: function.lua
            method: handler
            source: |
              return { handler = function() return {message = "hello over tls"} end }
          - name: hello.endpoint
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /hello
            func: hello
        """
    }

    static func port(_ log: LogSignals) async throws -> Int {
        try #require(await log.servingPort(), "log: \(log.messages)")
    }

    @Test func servesHTTPSWithACertificateFromFiles() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wippy-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.makeCertificate("server", in: directory)
        // The project loader reads `file://` references beside the YAML file.
        let test = try TestApplication(
            index: Self.project(tls: """
                      mode: manual
                      cert: "file://server.pem"
                      key: "file://server.key"
                """), history: .memory, prepare: Self.copy(["server.pem", "server.key"], from: directory))
        let port = try await Self.port(test.log)
        let https = await Self.run(
            ["curl", "-sS", "--max-time", "20", "--cacert", "server.pem", "https://127.0.0.1:\(port)/hello"], in: directory)
        #expect(https.status == 0 && https.output.contains("hello over tls"), "\(https)")
        // Plain HTTP on the TLS port is not served.
        let plain = await Self.run(["curl", "-sS", "--max-time", "20", "http://127.0.0.1:\(port)/hello"], in: directory)
        #expect(!plain.output.contains("hello over tls"), "\(plain)")
        await test.app.stop()
    }

    @Test func mutualTLSRequiresAVerifiedClientCertificate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wippy-mtls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.makeCertificate("server", in: directory)
        try await Self.makeCertificate("client", in: directory)
        try await Self.makeCertificate("stranger", in: directory)
        // The key inline (PEM in the entry), the CA through a file.
        let key = try String(contentsOfFile: "\(directory)/server.key", encoding: .utf8)
        let indentedKey = key.split(separator: "\n").map { "            " + $0 }.joined(separator: "\n")
        let test = try TestApplication(
            index: Self.project(tls: """
                      mode: manual
                      cert: "file://server.pem"
                      key: |
                \(indentedKey)
                      client_auth: require_and_verify
                      client_ca: "file://client.pem"
                """), history: .memory, prepare: Self.copy(["server.pem", "client.pem"], from: directory))
        let port = try await Self.port(test.log)
        let url = "https://127.0.0.1:\(port)/hello"
        let trusted = await Self.run(
            ["curl", "-sS", "--max-time", "20", "--cacert", "server.pem", "--cert", "client.pem", "--key", "client.key", url], in: directory)
        #expect(trusted.status == 0 && trusted.output.contains("hello over tls"), "\(trusted)")
        let anonymous = await Self.run(["curl", "-sS", "--max-time", "20", "--cacert", "server.pem", url], in: directory)
        #expect(anonymous.status != 0 && !anonymous.output.contains("hello over tls"), "\(anonymous)")
        let stranger = await Self.run(
            ["curl", "-sS", "--max-time", "20", "--cacert", "server.pem", "--cert", "stranger.pem", "--key", "stranger.key", url], in: directory)
        #expect(stranger.status != 0 && !stranger.output.contains("hello over tls"), "\(stranger)")
        await test.app.stop()
    }

    static func refusal(_ tls: String) -> String {
        do {
            let project = try TemporaryProject()
            defer { project.remove() }
            try project.writeLock()
            try project.write("src/_index.yaml", Self.project(tls: tls))
            var options = RuntimeOptions()
            options.projectRoot = project.root
            options.historyMode = .memory
            let app = try Application(
                options: options, modules: StandardModules.all(terminal: nil), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            app.shutdown()
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func badTLSConfigurationsAreRefusedNamingTheField() {
        let auto = Self.refusal("      mode: auto")
        #expect(auto.contains("app:gateway") && auto.contains("'tls.mode' auto") && auto.contains("not supported"), "\(auto)")
        let partial = Self.refusal("      mode: manual\n      cert: \"-----BEGIN CERTIFICATE-----\"")
        #expect(partial.contains("app:gateway") && partial.contains("both a certificate and a key"), "\(partial)")
        let mixed = Self.refusal("      mode: manual\n      cert: x\n      cert_env: CERT\n      key: y")
        #expect(mixed.contains("'tls.cert' and 'tls.cert_env'"), "\(mixed)")
        let garbage = Self.refusal("      mode: manual\n      cert: not a pem\n      key: nor this")
        #expect(garbage.contains("'tls.cert' is not a PEM certificate") || garbage.contains("'tls.cert' holds no PEM"), "\(garbage)")
        let caAlone = Self.refusal("      mode: manual\n      cert: x\n      key: y\n      client_ca: z")
        #expect(caAlone.contains("'tls.client_ca' is set without 'tls.client_auth'"), "\(caAlone)")
        let verifyNoCA = Self.refusal("      mode: manual\n      cert: x\n      key: y\n      client_auth: require_and_verify")
        #expect(verifyNoCA.contains("needs a CA"), "\(verifyNoCA)")
        let noMode = Self.refusal("      cert: x")
        #expect(noMode.contains("'tls.mode' is not"), "\(noMode)")
    }
}
