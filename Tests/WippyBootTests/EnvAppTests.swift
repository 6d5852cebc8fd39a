import Foundation
import Testing
import WippyBoot
import WippyCore
import WippyResources
#if canImport(Glibc)
import Glibc
#endif

/// An application configured only through `env` (lua-api-io §8.1): a `.env` file storage, the OS
/// environment, a memory storage, a static one and a router; `env.get/set/get_all` from Lua with every
/// refusal; `${env:...}` placeholders in another entry resolved through the declared variables at decode
/// time, while the registry keeps the raw text.
@Suite struct EnvAppTests {
    /// A variable only this test sets in the process environment.
    static let osName = "WIPPY_ENV_APP_TEST_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")

    static let dotEnv = """
        # application settings
        APP_NAME=wippy-app
        LOG_LEVEL=debug   # overridden at runtime
        API_SECRET="s3cret value"

        """

    static func project(osName: String) -> String {
        """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - {name: os, kind: env.storage.os}
          - {name: file, kind: env.storage.file, file_path: ./config/.env}
          - {name: mem, kind: env.storage.memory}
          - name: fixed
            kind: env.storage.static
            values: {REGION: eu-west}
          - name: layered
            kind: env.storage.router
            storages: [mem, file]
          - {name: port, kind: env.variable, variable: APP_PORT, storage: file, default: "8080"}
          - {name: app_name, kind: env.variable, variable: APP_NAME, storage: file}
          - {name: home, kind: env.variable, variable: \(osName), storage: app:os}
          - {name: level, kind: env.variable, variable: LOG_LEVEL, storage: layered}
          - {name: region, kind: env.variable, variable: REGION, storage: fixed}
          - {name: secret, kind: env.variable, variable: API_SECRET, storage: file, readonly: true}
          - {name: nope, kind: env.variable, variable: NOPE, storage: mem}
          # Wippy example 15 writes `read_only`; Wippy reads `readonly` only, so this one stays writable.
          - {name: version, kind: env.variable, variable: APP_VERSION, storage: mem, default: "1.0.0", read_only: true}
          - name: db
            kind: db.sql.sqlite
            file: "data/${env:APP_NAME}-${REGION|x}-${env:\(osName)}.db"
          - name: escaped
            kind: db.sql.sqlite
            file: "data/$${env:APP_NAME}.db"
          # An escaped placeholder in a queue stays literal too (the queue kind decodes what the registry
          # expanded; a second expansion failed on the variable, which is no OS variable).
          - {name: broker, kind: queue.driver.memory}
          - name: jobs
            kind: queue.queue
            driver: app:broker
            queue_name: "jobs$${env:APP_NAME}"
          - name: main
            kind: process.lua
            modules: [env, logger]
            source: |
              local env = require("env")
              local logger = require("logger")
              local function show(label, value, err)
                local text = label .. "=" .. tostring(value)
                if err then text = text .. " err=" .. tostring(err:kind()) end
                logger:info(text)
              end
              return { main = function()
                show("port", env.get("APP_PORT"))
                show("name", env.get("APP_NAME"))
                show("os", env.get("\(osName)"))
                show("level", env.get("LOG_LEVEL"))
                show("by_id", env.get("app:region"))
                show("bare", env.get("region"))
                show("secret", env.get("API_SECRET"))
                show("missing", env.get("NOPE"))
                show("unknown", env.get("UNDECLARED"))
                show("empty", env.get(""))
                show("set_secret", env.set("API_SECRET", "x"))
                show("set_os", env.set("\(osName)", "x"))
                show("set_static", env.set("REGION", "x"))
                show("set_unknown", env.set("UNDECLARED", "x"))
                show("set_level", env.set("LOG_LEVEL", "warn"))
                show("level2", env.get("LOG_LEVEL"))
                show("set_name", env.set("APP_NAME", "renamed"))
                show("name2", env.get("APP_NAME"))
                show("set_port", env.set("APP_PORT", 9090))
                show("port2", env.get("APP_PORT"))
                show("set_empty", env.set("NOPE", ""))
                show("nope_empty", env.get("NOPE"))
                show("bad_value", (pcall(env.set, "APP_PORT", {})))
                show("version", env.get("APP_VERSION"))
                show("set_version", env.set("APP_VERSION", "2.0.0"))
                show("version2", env.get("APP_VERSION"))
                local all = env.get_all()
                show("all_region", all.REGION)
                show("all_os", all["\(osName)"])
                show("all_name", all.APP_NAME)
                show("all_level", all.LOG_LEVEL)
                logger:info("env done")
              end }
          - name: main.service
            kind: process.service
            process: main
            host: processes
            lifecycle: {auto_start: true}
        """
    }

    @Test func appConfiguredThroughEnv() async throws {
        setenv(Self.osName, "tester", 1)
        let app = try TestApplication(index: Self.project(osName: Self.osName), history: .memory) { project in
            try project.write("config/.env", Self.dotEnv)
        }
        guard await app.log.wait(for: "env done", within: .seconds(30)) != nil else {
            Issue.record("the process did not finish: \(app.log.messages)")
            return
        }
        let expected = [
            "port=8080", "name=wippy-app", "os=tester", "level=debug", "by_id=eu-west", "bare=eu-west",
            "secret=s3cret value", "missing=nil err=NotFound", "unknown=nil err=NotFound", "empty=nil err=Invalid",
            "set_secret=nil err=PermissionDenied", "set_os=nil err=PermissionDenied", "set_static=nil err=PermissionDenied",
            "set_unknown=nil err=NotFound", "set_level=true", "level2=warn", "set_name=true", "name2=renamed",
            "set_port=true", "port2=9090", "set_empty=true", "nope_empty=nil err=NotFound", "bad_value=false",
            "version=1.0.0", "set_version=true", "version2=2.0.0",
            "all_region=eu-west", "all_os=tester", "all_name=renamed", "all_level=warn",
        ]
        for line in expected {
            #expect(app.log.messages.contains(line), "missing log line \(line)")
        }
        // The file storage rewrote its file: comments and order kept, new keys appended.
        let text = try app.project.read("config/.env")
        #expect(text == """
            # application settings
            APP_NAME=renamed
            LOG_LEVEL=debug   # overridden at runtime
            API_SECRET="s3cret value"
            APP_PORT=9090

            """)
        // The database entry was decoded with its placeholders resolved through the env registry; the
        // registry keeps the raw text.
        let id = EntryID(namespace: "app", name: "db")
        guard case .sqlite(let sqlite)? = app.app.databases.config(id) else {
            Issue.record("no sqlite database decoded")
            return
        }
        #expect(sqlite.path == app.project.root + "/data/wippy-app-eu-west-tester.db")
        guard case .sqlite(let escaped)? = app.app.databases.config(EntryID(namespace: "app", name: "escaped")) else {
            Issue.record("no escaped sqlite database decoded")
            return
        }
        #expect(escaped.path == app.project.root + "/data/${env:APP_NAME}.db")
        #expect(app.app.registry.snapshot.entry(id)?.data["file"]?.stringValue == "data/${env:APP_NAME}-${REGION|x}-${env:\(Self.osName)}.db")
    }
}
