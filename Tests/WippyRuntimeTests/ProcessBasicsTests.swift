import Testing
import WippyCore
import WippyRuntime

@Suite struct ProcessBasicsTests {
    @Test func mainReturnValueIsTheResult() async {
        let harness = RuntimeHarness()
        let result = await harness.run(source: "return { main = function(a, b) return a + b end }", [.int(2), .int(40)])
        #expect(result == ProcessResult(value: .int(42)))
    }

    @Test func chunkReturningAFunctionIsTheEntryPoint() async {
        let harness = RuntimeHarness()
        let result = await harness.run(source: "return function() return 'hi' end")
        #expect(result.value == .string("hi"))
    }

    @Test func secondReturnValueStringIsAFailure() async {
        let harness = RuntimeHarness()
        let result = await harness.run(source: "return { main = function() return nil, 'boom' end }")
        #expect(result.error?.message == "boom")
    }

    @Test func raisedErrorNamesEntryAndLine() async {
        let harness = RuntimeHarness()
        let result = await harness.run(source: "local M = {}\nfunction M.main()\n  error('bad thing')\nend\nreturn M")
        #expect(result.error?.message == "test:main:3: bad thing")
    }

    @Test func pingPongBetweenProcesses() async {
        let harness = RuntimeHarness()
        harness.install("test:pong", source: """
            return { main = function()
                local inbox = process.inbox()
                local msg = inbox:receive()
                process.send(msg:from(), "pong", msg:payload():data() + 1)
                return true
            end }
            """)
        let result = await harness.run(source: """
            return { main = function()
                local pid = process.spawn("test:pong", "app:processes")
                process.send(pid, "ping", 41)
                local msg = process.inbox():receive()
                return msg:topic() .. ":" .. tostring(msg:payload():data())
            end }
            """)
        #expect(result.value == .string("pong:42"))
    }
}
