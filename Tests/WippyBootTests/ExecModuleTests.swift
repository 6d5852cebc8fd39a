import Foundation
import Testing
import WippyBoot
import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// The `exec` module from Lua (lua-api-core §17.3) on `exec.native` and `exec.docker` entries: real child
/// processes with args, a clean environment plus the executor's and the call's, a working directory,
/// stdin, streamed stdout/stderr, exit codes, signals; the child killed when its invocation ends; a
/// waiting process holding no worker (one worker, and another process runs meanwhile); bad input refused.
@Suite struct ExecModuleTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: shell
            kind: exec.native
            default_work_dir: ./work
            default_env: {GREETING: hello}
          - name: strict
            kind: exec.native
            command_whitelist: ["echo allowed"]
          - name: containers
            kind: exec.docker
            image: alpine:3
            host: unix:///nonexistent/wippy-test-docker.sock
          - name: main
            kind: process.lua
            modules: [exec, logger]
            source: |
              local exec = require("exec")
              local logger = require("logger")
              local function show(label, value, err)
                local text = label .. "=" .. tostring(value)
                if err then text = text .. " err=" .. tostring(err:kind()) end
                logger:info(text)
              end
              local function collect(stream)
                local parts = {}
                while true do
                  local chunk = stream:read()
                  if not chunk then break end
                  parts[#parts + 1] = chunk
                end
                return (table.concat(parts):gsub("\\n", "|"))
              end
              return { main = function()
                local sh, err = exec.get("app:shell")
                show("get", sh ~= nil, err)
                show("get_empty", exec.get(""))
                show("get_unknown", exec.get("app:none"))
                local p = sh:exec("echo $GREETING $EXTRA \\"[$HOME]\\"; pwd; echo oops >&2; exit 3", {env = {EXTRA = "world"}})
                local out, errs = p:stdout_stream(), p:stderr_stream()
                show("same_stream", out == p:stdout_stream())
                show("start", p:start())
                show("start_again", p:start())
                show("late_stream", p:stdout_stream() == out)
                show("stdout", collect(out))
                show("stderr", collect(errs))
                show("exit", p:wait())
                local wd = sh:exec("pwd", {work_dir = "/tmp"})
                local wdout = wd:stdout_stream()
                wd:start()
                show("workdir", collect(wdout))
                wd:wait()
                local cat = sh:exec("cat; echo done")
                local catout = cat:stdout_stream()
                cat:start()
                show("stdin", cat:write_stdin("abc\\n"))
                show("stdin_close", cat:write_stdin(""))
                show("cat", collect(catout))
                show("cat_exit", cat:wait())
                local lines = sh:exec("for i in 1 2 3; do printf line; sleep 0.02; echo $i; done")
                local sc = lines:stdout_stream():scanner("lines")
                lines:start()
                local got = {}
                while sc:scan() do got[#got + 1] = sc:text() end
                show("lines", table.concat(got, ","))
                lines:wait()
                local sleeper = sh:exec("exec sleep 30")
                sleeper:start()
                show("signal", sleeper:signal(15))
                show("signalled_exit", sleeper:wait())
                show("wait_unstarted", sh:exec("true"):wait())
                show("empty_cmd", sh:exec(""))
                show("bad_signal", sleeper:signal(0))
                local strict = exec.get("strict")
                show("allowed", strict:exec("echo allowed") ~= nil)
                show("refused", strict:exec("echo other"))
                local docker = exec.get("app:containers")
                local _, derr = docker:exec("echo hi")
                show("docker", derr and derr:kind())
                show("docker_msg", derr and tostring(derr):find("no Docker daemon answers", 1, true) ~= nil)
                show("release", strict:release())
                show("release2", strict:release())
                show("released_exec", strict:exec("echo allowed"))
                show("bad_arg", (pcall(sh.exec, sh, 5)))
                -- Left running: killed when this invocation ends.
                local orphan = sh:exec("echo $$; exec sleep 1000")
                local orphan_out = orphan:stdout_stream()
                orphan:start()
                logger:info("orphan pid " .. orphan_out:read():gsub("\\n", ""))
                logger:info("exec done")
              end }
          - name: main.service
            kind: process.service
            process: main
            host: processes
            lifecycle: {auto_start: true, restart: {max_attempts: 0}}
          # Waits on a child that never ends by itself; the only worker must still run others meanwhile.
          - name: waiter
            kind: process.lua
            modules: [exec, logger]
            source: |
              local exec = require("exec")
              local logger = require("logger")
              return { main = function()
                local p = exec.get("app:shell"):exec("echo $$; exec sleep 1000")
                local out = p:stdout_stream()
                p:start()
                logger:info("waiter child " .. out:read():gsub("\\n", ""))
                logger:info("waiter waiting")
                p:wait()
                logger:info("waiter woke")
              end }
          - name: waiter.service
            kind: process.service
            process: waiter
            host: processes
            lifecycle: {auto_start: true, stop_timeout: 100ms}
          - name: other
            kind: process.lua
            modules: [logger, time]
            source: |
              local logger = require("logger")
              local time = require("time")
              return { main = function()
                while true do
                  logger:info("other ran")
                  time.sleep("20ms")
                end
              end }
          - name: other.service
            kind: process.service
            process: other
            host: processes
            lifecycle: {auto_start: true, stop_timeout: 100ms}
        """

    @Test func execFromLua() async throws {
        let app = try TestApplication(index: Self.project, history: .memory) { project in
            try project.write("work/.keep", "")
        }
        guard await app.log.wait(for: "exec done", within: .seconds(30)) != nil else {
            Issue.record("the process did not finish: \(app.log.messages)")
            return
        }
        let work = try #require(realpath(app.project.root + "/work", nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        })
        let expected = [
            "get=true", "get_empty=nil err=Invalid", "get_unknown=nil err=NotFound", "same_stream=true", "start=true",
            "start_again=nil err=Invalid", "late_stream=true", "stdout=hello world []|\(work)|", "stderr=oops|", "exit=3",
            "workdir=/tmp|", "stdin=true", "stdin_close=true", "cat=abc|done|", "cat_exit=0", "lines=line1,line2,line3",
            "signal=true", "signalled_exit=-1", "wait_unstarted=nil err=Invalid", "empty_cmd=nil err=Invalid",
            "bad_signal=nil err=Invalid", "allowed=true", "refused=nil err=Invalid", "docker=Unavailable", "docker_msg=true",
            "release=true", "release2=true", "released_exec=nil err=Invalid", "bad_arg=false",
        ]
        let messages = app.log.messages
        for line in expected {
            #expect(messages.contains(line), "missing log line \(line)")
        }
        // The child left running was killed when its invocation ended (and reaped by its thread).
        let line = try #require(messages.first { $0.hasPrefix("orphan pid ") })
        let pid = try #require(Int32(line.dropFirst("orphan pid ".count)))
        let deadline = ContinuousClock.now + .seconds(20)
        while kill(pid, 0) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(kill(pid, 0) != 0, "child \(pid) still runs after its invocation ended")
        // One worker: while `waiter` waits on its child, `other` keeps running.
        #expect(await app.log.wait(for: "waiter waiting", within: .seconds(20)) != nil)
        let before = app.log.count("other ran")
        let deadline2 = ContinuousClock.now + .seconds(20)
        while app.log.count("other ran") < before + 3 && ContinuousClock.now < deadline2 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(app.log.count("other ran") >= before + 3)
        #expect(app.log.first("waiter woke") == nil)
        // Stopping the waiting process (terminated after its stop timeout) kills its child.
        let waiterLine = try #require(app.log.first("waiter child "))
        let waiterChild = try #require(Int32(waiterLine.dropFirst("waiter child ".count)))
        #expect(kill(waiterChild, 0) == 0)
        _ = try app.app.registry.apply([.delete(EntryID(namespace: "app", name: "waiter.service"))])
        let deadline3 = ContinuousClock.now + .seconds(20)
        while kill(waiterChild, 0) == 0 && ContinuousClock.now < deadline3 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(kill(waiterChild, 0) != 0, "child \(waiterChild) still runs after its process was stopped")
    }
}

/// A child that writes far more than the unread-output limit (4 MiB) is held back, not dropped: every
/// byte arrives, in order, and it exits normally.
@Suite struct ExecLargeOutputTests {
    @Test func largeOutputArrivesWhole() async throws {
        let app = try TestApplication(index: """
            version: "1.0"
            namespace: app
            entries:
              - name: processes
                kind: process.host
                lifecycle: {auto_start: true}
              - {name: shell, kind: exec.native}
              - {name: out, kind: fs.directory, directory: ./out, auto_init: true}
              - name: main
                kind: process.lua
                modules: [exec, logger, fs]
                source: |
                  local exec = require("exec")
                  local logger = require("logger")
                  return { main = function()
                    local p = exec.get("app:shell"):exec("i=0; while [ $i -lt 200 ]; do head -c 65536 /dev/zero | tr '\\\\0' x; i=$((i+1)); done; echo end")
                    local out = p:stdout_stream()
                    p:start()
                    local total, last = 0, ""
                    while true do
                      local chunk = out:read(1000000)
                      if not chunk then break end
                      total = total + #chunk
                      last = chunk:sub(-4)
                    end
                    logger:info("bytes " .. total .. " " .. last:gsub("\\n", "|") .. " exit " .. p:wait())
                    -- A stream as the data of writefile.
                    local q = exec.get("app:shell"):exec("printf 'one\\ntwo\\n'")
                    local qout = q:stdout_stream()
                    q:start()
                    local vol = fs.get("app:out")
                    logger:info("saved " .. tostring(vol:writefile("copy.txt", qout)) .. " " .. vol:readfile("copy.txt"):gsub("\\n", "|"))
                  end }
              - name: main.service
                kind: process.service
                process: main
                host: processes
                lifecycle: {auto_start: true}
            """, history: .memory)
        let line = await app.log.wait(for: "bytes ", within: .seconds(60))
        #expect(line == "bytes \(200 * 65536 + 4) end| exit 0")
        #expect(await app.log.wait(for: "saved ", within: .seconds(30)) == "saved true one|two|")
    }
}
