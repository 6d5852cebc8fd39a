import Testing
import WippyCore
import WippyRuntime

/// Many processes, and failure isolation between processes.
@Suite struct ProcessScaleTests {
    @Test func tenThousandShortProcessesAllReply() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:child", source: "return { main = function(parent, i) process.send(parent, 'done', i) end }")
        let result = await node.run(source: """
            return { main = function(n)
                local me = process.pid()
                for i = 1, n do
                    local pid, err = process.spawn("test:child", "app:processes", me, i)
                    if not pid then return "spawn " .. i .. " failed: " .. tostring(err) end
                end
                local inbox, seen, dup = process.inbox(), {}, 0
                for i = 1, n do
                    local v = inbox:receive():payload():data()
                    if seen[v] then dup = dup + 1 end
                    seen[v] = true
                end
                local missing = 0
                for i = 1, n do if not seen[i] then missing = missing + 1 end end
                return "missing " .. missing .. " duplicate " .. dup
            end }
            """, [.int(10_000)], timeout: .seconds(300))
        #expect(result.text == "missing 0 duplicate 0")
        #expect(await node.wait("all children gone", until: { node.node.processCount == 0 }))
    }

    @Test func tenThousandProcessesSpawnedFromOutsideAcrossWorkers() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        let collector = node.collector()
        node.install("test:child", source: "return { main = function(sink, i) process.send(sink, 'done', i) return i end }")
        var pids: [PID] = []
        for i in 1...10_000 { pids.append(node.spawn("test:child", [.string(collector.pid.description), .int(Int64(i))])) }
        #expect(await node.wait("10 000 replies", timeout: .seconds(300), until: { collector.messages.count >= 10_000 }))
        let values = Set(collector.messages.compactMap { $0.payloads.first?.intValue })
        #expect(values.count == 10_000)
        var wrong = 0
        for (index, pid) in pids.enumerated() where await node.result(of: pid)?.value != .int(Int64(index + 1)) { wrong += 1 }
        #expect(wrong == 0)
    }

    @Test func erroringProcessDiesAloneAndTheHostKeepsServing() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:echo", source: """
            return { main = function()
                local inbox = process.inbox()
                while true do
                    local m = inbox:receive()
                    if m:topic() == "stop" then return "stopped" end
                    process.send(m:from(), "echo", m:payload():data())
                end
            end }
            """)
        node.install("test:crash", source: """
            return { main = function(kind)
                if kind == "error" then error("deliberate") end
                if kind == "table" then error({code = 1}) end
                if kind == "nilindex" then local x = nil return x.y end
                if kind == "stack" then local function f() return f() + 1 end return f() end
                if kind == "memory-ish" then local t = {} for i = 1, 1e6 do t[i] = i end error("after alloc") end
                return "no crash"
            end }
            """)
        let echo = node.spawn("test:echo")
        for kind in ["error", "table", "nilindex", "stack", "memory-ish"] {
            let crash = await node.run("test:crash", [.string(kind)])
            #expect(crash?.error != nil, "\(kind): \(crash.text)")
        }
        let client = await node.run(source: """
            return { main = function(echo)
                process.send(echo, "ping", 42)
                local v = process.inbox():receive():payload():data()
                process.send(echo, "stop")
                return "echo " .. tostring(v)
            end }
            """, [.string(echo.description)])
        #expect(client.text == "echo 42")
        #expect(await node.result(of: echo).text == "stopped")
        #expect(await node.run(source: "return { main = function() return 'still serving' end }").text == "still serving")
    }

    @Test func startupFailuresAreProcessErrors() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:syntax", source: "return { main = function( end }")
        node.install("test:nomethod", source: "return { other = function() end }")
        node.install("test:chunkerror", source: "error('at load')")
        let syntax = await node.run("test:syntax")
        #expect(syntax?.error != nil)
        let noMethod = await node.run("test:nomethod")
        #expect(noMethod?.error?.message == "method \"main\" not found in module")
        #expect(noMethod?.error?.kind == .notFound)
        let chunk = await node.run("test:chunkerror")
        #expect(chunk?.error?.message.contains("at load") == true)
        #expect(await node.run(source: "return { main = function() return 'fine' end }").text == "fine")
    }
}
