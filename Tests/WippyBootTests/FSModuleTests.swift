import Foundation
import Logging
import WippyModules
import Testing
import WippyBoot
import WippyCore
import WippyResources
import WippyRuntime

/// The `fs` module from Lua (lua-api-io §7.4) on an `fs.directory` entry: every volume method, File
/// handles, scanners, the constants, refusals of bad input, and a directory that cannot open (reported
/// with its reason while the application runs on).
@Suite struct FSModuleTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - {name: files, kind: fs.directory, directory: ./data, auto_init: true}
          - {name: samples, kind: fs.directory, directory: ./samples, mode: "0555"}
          - {name: gone, kind: fs.directory, directory: ./missing}
          - name: main
            kind: process.lua
            modules: [fs, logger]
            source: |
              local fs = require("fs")
              local logger = require("logger")
              local function show(label, value, err)
                local text = label .. "=" .. tostring(value)
                if err then text = text .. " err=" .. tostring(err:kind()) end
                logger:info(text)
              end
              return { main = function()
                local vol, err = fs.get("app:files")
                show("get", vol ~= nil, err)
                show("get_empty", fs.get(""))
                show("get_unknown", fs.get("app:nothing"))
                local _, gone = fs.get("gone")
                show("get_gone", gone and gone:kind(), nil)
                show("gone_reason", gone and tostring(gone):find("missing", 1, true) ~= nil, nil)
                show("write", vol:writefile("notes/a.txt", "alpha\\nbeta\\n"))
                show("mkdir", vol:mkdir("notes"))
                show("write2", vol:writefile("notes/a.txt", "alpha\\nbeta\\n"))
                show("append", vol:writefile("notes/a.txt", "gamma", "a"))
                show("wx", vol:writefile("notes/a.txt", "x", "wx"))
                show("badmode", vol:writefile("notes/a.txt", "x", "q"))
                show("read", (vol:readfile("notes/a.txt"):gsub("\\n", "|")))
                show("read_alias", #vol:read_file("/notes/a.txt"))
                show("read_missing", vol:readfile("nope.txt"))
                show("escape", vol:readfile("../../../../etc/hostname"))
                show("exists", vol:exists("notes/a.txt"))
                show("exists_no", vol:exists("notes/b.txt"))
                show("isdir", vol:isdir("notes"))
                show("isdir_missing", vol:isdir("zzz"))
                local st = vol:stat("notes/a.txt")
                show("stat", st.name .. ":" .. st.size .. ":" .. st.type .. ":" .. tostring(st.is_dir) .. ":" .. type(st.modified))
                show("chdir", vol:chdir("notes"))
                show("pwd", vol:pwd())
                show("rel_read", #vol:readfile("a.txt"))
                show("chdir_file", vol:chdir("a.txt"))
                local names = {}
                for entry in vol:readdir("/") do names[#names + 1] = entry.name .. "/" .. entry.type end
                table.sort(names)
                show("readdir", table.concat(names, ","))
                show("readdir_missing", vol:readdir("/nope"))
                local f = vol:open("a.txt", "r")
                show("f_read", f:read(5))
                show("f_seek", f:seek(fs.seek.SET, 6))
                show("f_read2", f:read(4))
                show("f_stat", f:stat().size)
                show("f_read_rest", (f:read():gsub("\\n", "|")))
                show("f_eof", f:read())
                show("f_bad_n", f:read(0))
                local sc = f:scanner("lines")
                show("f_close", f:close())
                show("f_close2", f:close())
                show("f_closed_read", f:read())
                f = vol:open("a.txt")
                local lines = {}
                local sc = f:scanner()
                while sc:scan() do lines[#lines + 1] = sc:text() end
                show("lines", table.concat(lines, "|"))
                show("scan_err", sc:err())
                local w = vol:open("/w.txt", "w")
                show("fw_write", w:write("one two  three"))
                show("fw_empty", w:write(""))
                show("fw_sync", w:sync())
                w:close()
                local words = {}
                local ws = vol:open("/w.txt", "r"):scanner("words")
                while ws:scan() do words[#words + 1] = ws:text() end
                show("words", table.concat(words, ","))
                show("open_badmode", vol:open("/w.txt", "rw"))
                show("open_missing", vol:open("/none.txt", "r"))
                show("open_wx", vol:open("/w.txt", "wx"))
                show("remove_nonempty", vol:remove("/notes"))
                show("remove", vol:remove("/notes/a.txt"))
                show("remove_dir", vol:remove("/notes"))
                show("remove_missing", vol:remove("/notes"))
                show("nul", vol:readfile("a\\0b"))
                show("empty_path", vol:readfile(""))
                show("bad_arg", (pcall(vol.readfile, vol, 5)))
                show("bad_self", (pcall(vol.readfile, "x", "a")))
                show("consts", fs.type.FILE .. "," .. fs.type.DIR .. "," .. fs.seek.END)
                show("consts_frozen", (pcall(function() fs.type.FILE = "x" end)) or (pcall(function() fs.seek.SET = 1 end)) or (pcall(function() fs.get = nil end)))
                local ro = fs.get("app:samples")
                show("ro_read", ro:readfile("hello.txt"))
                show("ro_write", ro:writefile("hello.txt", "changed"))
                -- Left open: closed when the process ends.
                local leak = vol:open("/leak.txt", "w")
                leak:write("kept")
                logger:info("fs done")
              end }
          - name: main.service
            kind: process.service
            process: main
            host: processes
            lifecycle: {auto_start: true}
        """

    @Test func fsFromLua() async throws {
        let app = try TestApplication(index: Self.project, history: .memory) { project in
            try project.write("samples/hello.txt", "hi")
        }
        guard await app.log.wait(for: "fs done", within: .seconds(30)) != nil else {
            Issue.record("the process did not finish: \(app.log.messages)")
            return
        }
        let expected = [
            "get=true", "get_empty=nil err=Invalid", "get_unknown=nil err=NotFound", "get_gone=Unavailable", "gone_reason=true",
            "write=false err=NotFound", "mkdir=true", "write2=true", "append=true", "wx=false err=AlreadyExists",
            "badmode=false err=Invalid", "read=alpha|beta|gamma", "read_alias=16", "read_missing=nil err=NotFound",
            "escape=nil err=NotFound", "exists=true", "exists_no=false", "isdir=true", "isdir_missing=nil err=NotFound",
            "stat=a.txt:16:file:false:number", "chdir=true", "pwd=/notes", "rel_read=16", "chdir_file=false err=Invalid",
            "readdir=notes/directory", "readdir_missing=nil err=NotFound", "f_read=alpha", "f_seek=6", "f_read2=beta",
            "f_stat=16", "f_read_rest=|gamma", "f_eof=nil err=NotFound", "f_bad_n=nil err=Invalid", "f_close=true",
            "f_close2=true", "f_closed_read=nil err=Invalid", "lines=alpha|beta|gamma", "scan_err=nil", "fw_write=true",
            "fw_empty=nil err=Invalid", "fw_sync=true", "words=one,two,three", "open_badmode=nil err=Invalid",
            "open_missing=nil err=NotFound", "open_wx=nil err=AlreadyExists", "remove_nonempty=false err=Invalid",
            "remove=true", "remove_dir=true", "remove_missing=false err=NotFound", "nul=nil err=Invalid",
            "empty_path=nil err=Invalid", "bad_arg=false", "bad_self=false", "consts=file,directory,end", "consts_frozen=false", "ro_read=hi",
            "ro_write=false err=PermissionDenied",
        ]
        let messages = app.log.messages
        for line in expected {
            #expect(messages.contains(line), "missing log line \(line)")
        }
        #expect(try app.project.read("data/leak.txt") == "kept")
        #expect(try app.project.read("samples/hello.txt") == "hi")
        #expect(messages.contains { $0.hasPrefix("service app:gone is failed") || $0.contains("app:gone") })
    }
}

/// An `fs.directory` entry changed at runtime swaps its resource live; a deleted one is gone; a bad one is
/// refused naming the entry and field while the running one stays.
@Suite struct FSDirectoryEntryTests {
    @Test func liveSwapDeleteAndRefusal() throws {
        let app = try TestApplication(index: """
            version: "1.0"
            namespace: app
            entries:
              - {name: files, kind: fs.directory, directory: ./one, auto_init: true}
            """, history: .memory)
        let id = EntryID(namespace: "app", name: "files")
        let first = try #require(app.app.runtime.resources.current(id) as? FSDirectory)
        #expect(first.root.hasSuffix("/one"))
        let held = try app.app.runtime.resources.acquire(id)
        _ = try app.app.registry.apply([
            .update(Entry(id: id, kind: "fs.directory", data: .map([("directory", "./two"), ("auto_init", true)])))
        ])
        let second = try #require(app.app.runtime.resources.current(id) as? FSDirectory)
        #expect(second.root.hasSuffix("/two"))
        #expect((held.resource as? FSDirectory)?.root == first.root)
        held.release()
        do {
            _ = try app.app.registry.apply([.update(Entry(id: id, kind: "fs.directory", data: .map([("directory", 5)])))])
            Issue.record("a bad entry was accepted")
        } catch {
            #expect(error.message.contains("entry app:files: 'directory' must be text"))
        }
        #expect((app.app.runtime.resources.current(id) as? FSDirectory)?.root == second.root)
        _ = try app.app.registry.apply([.delete(id)])
        #expect(throws: WippyError.self) { try app.app.runtime.resources.acquire(id) }
    }
}

/// Bad `fs.directory` and `exec.*` entries stop the boot with the file, entry and field.
@Suite struct ResourceEntryErrorTests {
    func bootError(_ entries: String) throws -> String {
        let project = try TemporaryProject()
        defer { project.remove() }
        try project.writeLock()
        try project.write("src/_index.yaml", "version: \"1.0\"\nnamespace: app\nentries:\n" + entries)
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = .memory
        do {
            _ = try Application(options: options, modules: StandardModules.all(terminal: nil), logger: Logger(label: "test"))
            Issue.record("booted")
            return ""
        } catch {
            return error.message
        }
    }

    @Test func refusals() throws {
        #expect(try bootError("  - {name: d, kind: fs.directory}\n").contains("src/_index.yaml:4: entry app:d: 'directory' is required"))
        #expect(try bootError("  - {name: d, kind: fs.directory, directory: x, mode: rwx}\n").contains("entry app:d: 'mode' must be an octal file mode"))
        #expect(try bootError("  - {name: d, kind: fs.directory, directory: x, base: elsewhere}\n").contains("entry app:d: 'base' must be \"project\" or \"module\""))
        #expect(try bootError("  - {name: d, kind: fs.directory, directory: x, root: y}\n").contains("entry app:d: unknown field 'root'"))
        #expect(try bootError("  - {name: e, kind: exec.docker}\n").contains("entry app:e: 'image' is required"))
        #expect(try bootError("  - {name: e, kind: exec.native, default_env: [a, b]}\n").contains("entry app:e: 'default_env'"))
        #expect(try bootError("  - {name: e, kind: exec.native, command_whitelist: ls}\n").contains("entry app:e: 'command_whitelist' must be a list of commands"))
        #expect(try bootError("  - {name: e, kind: exec.native, image: x}\n").contains("entry app:e: unknown field 'image'"))
    }
}

/// A directory that cannot open is reported with its reason, retried under the entry's lifecycle, and
/// served once it can open; the application runs on meanwhile.
@Suite struct ResourceRetryTests {
    @Test func missingDirectoryIsRetriedUntilItExists() async throws {
        let app = try TestApplication(index: """
            version: "1.0"
            namespace: app
            entries:
              - name: later
                kind: fs.directory
                directory: ./later
                lifecycle: {restart: {initial_delay: 50ms, max_delay: 200ms}}
            """, history: .memory)
        let id = EntryID(namespace: "app", name: "later")
        do {
            _ = try app.app.runtime.resources.acquire(id)
            Issue.record("a missing directory was served")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("later"))
        }
        #expect(await app.log.wait(for: "service app:later is failed", within: .seconds(20)) != nil)
        try FileManager.default.createDirectory(atPath: app.project.root + "/later", withIntermediateDirectories: true)
        #expect(await app.log.wait(for: "service app:later is running", within: .seconds(20)) != nil)
        let lease = try app.app.runtime.resources.acquire(id)
        #expect((lease.resource as? FSDirectory)?.root.hasSuffix("/later") == true)
        lease.release()
    }
}
