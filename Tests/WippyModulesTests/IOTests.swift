import Testing
import WippyCore
import WippyModules

/// The `io` module on a terminal host whose streams are pipes.
@Suite struct IOTests {
    @Test func readlineReturnsLinesThenThePartialRestThenEOF() async {
        let pipes = TerminalPipes()
        let harness = ModulesHarness(terminal: pipes.device)
        pipes.feed("hello\r\nworld\npartial")
        pipes.endInput()
        let result = await harness.run("""
            return function()
                local a = io.readline()
                local b = io.readline()
                local c = io.readline()
                local d, err = io.readline()
                local e, err2 = io.readline()
                return {a, b, c, d == nil, tostring(err), e == nil, err2 ~= nil}
            end
            """, on: harness.terminalHost)
        #expect(result.value == .array(["hello", "world", "partial", true, "EOF", true, true]))
    }

    @Test func readReturnsWhatIsAvailableUpToN() async {
        let pipes = TerminalPipes()
        let harness = ModulesHarness(terminal: pipes.device)
        pipes.feed("abcdef")
        pipes.endInput()
        let result = await harness.run("""
            return function()
                local a = io.read(4)
                local b = io.read()
                local c, err = io.read(0)
                return {a, b, c == nil, tostring(err)}
            end
            """, on: harness.terminalHost)
        #expect(result.value == .array(["abcd", "ef", true, "EOF"]))
    }

    @Test func emptyLinesAndEOFRightAfterANewline() async {
        let pipes = TerminalPipes()
        let harness = ModulesHarness(terminal: pipes.device)
        pipes.feed("\nlast\n")
        pipes.endInput()
        let result = await harness.run("""
            return function()
                local a = io.readline()
                local b = io.readline()
                local c, err = io.readline()
                return {a, b, c == nil, err ~= nil}
            end
            """, on: harness.terminalHost)
        #expect(result.value == .array(["", "last", true, true]))
    }

    @Test func writePrintAndEprintGoStraightToTheStreams() async {
        let pipes = TerminalPipes()
        let harness = ModulesHarness(terminal: pipes.device)
        let result = await harness.run("""
            return function()
                local ok = io.write("a", 1, "b", 2.5)
                io.print("x", 2, true, nil)
                io.eprint("oops", 1)
                return {ok, io.print(), io.flush()}
            end
            """, on: harness.terminalHost)
        #expect(result.value == .array([true, true, true]))
        #expect(pipes.output() == "a1b2.5x\t2\ttrue\tnil\n\n")
        #expect(pipes.errorOutput() == "oops\t1\n")
    }

    @Test func argsComeFromTheDevice() async {
        let pipes = TerminalPipes(arguments: ["one", "two"])
        let harness = ModulesHarness(terminal: pipes.device)
        let result = await harness.run("return function() return io.args() end", on: harness.terminalHost)
        #expect(result.value == .array(["one", "two"]))
        pipes.device.arguments = ["three"]
        let again = await harness.run("return function() return io.args() end", on: harness.terminalHost)
        #expect(again.value == .array(["three"]))
    }

    @Test func outsideATerminalHostIOIsUnavailable() async {
        let pipes = TerminalPipes(arguments: ["hidden"])
        let harness = ModulesHarness(terminal: pipes.device)
        let result = await harness.run("""
            return function()
                local ok, err = io.print("x")
                local line, err2 = io.readline()
                return {ok == nil, err:kind(), err:message(), line == nil, err2:kind(), #io.args()}
            end
            """)
        #expect(result.value == .array([true, "Unavailable", "no terminal context", true, "Unavailable", 0]))
        #expect(pipes.output() == "")
    }

    @Test func withoutADeviceIOIsUnavailable() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local ok, err = io.write("x")
                return {ok == nil, err:kind()}
            end
            """)
        #expect(result.value == .array([true, "Unavailable"]))
    }

    @Test func waitingForInputDoesNotBlockTheWorker() async throws {
        let pipes = TerminalPipes()
        let harness = ModulesHarness(terminal: pipes.device)
        harness.install("test:reader", source: """
            return function()
                local ch = channel.new(1)
                coroutine.spawn(function() ch:send(io.readline()) end)
                for i = 1, 3 do time.sleep("1ms") end
                logger:info("looped")
                return ch:receive()
            end
            """, modules: ModulesHarness.allModules)
        async let result = harness.runEntry("test:reader", on: harness.terminalHost)
        for _ in 0..<500 where harness.records.with(message: "looped").isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(harness.records.with(message: "looped").count == 1)
        pipes.feed("late line\n")
        #expect(await result.value == "late line")
    }

    @Test func closingTheDeviceFailsWaitingAndLaterReads() async {
        let pipes = TerminalPipes()
        let device = pipes.device
        async let pending = withCheckedContinuation { continuation in
            device.readLine { continuation.resume(returning: $0) }
        }
        try? await Task.sleep(for: .milliseconds(5))
        device.close()
        let later = await withCheckedContinuation { continuation in
            device.read(upTo: 10) { continuation.resume(returning: $0) }
        }
        #expect(await pending == .failure(.unavailable("terminal closed")))
        #expect(later == .failure(.unavailable("terminal closed")))
    }

    @Test func deviceServesReadsInOrder() async {
        let pipes = TerminalPipes()
        let device = pipes.device
        pipes.feed("one\ntwo")
        // Both reads are asked for here, one after the other (two `async let`s could ask in either order).
        let (answers, answer) = AsyncStream<(Int, TerminalReadResult)>.makeStream()
        device.readLine { answer.yield((0, $0)) }
        device.read(upTo: 2) { answer.yield((1, $0)) }
        var results: [Int: TerminalReadResult] = [:]
        for await (index, result) in answers {
            results[index] = result
            if results.count == 2 { break }
        }
        #expect(results[0] == .data(Array("one".utf8)))
        #expect(results[1] == .data(Array("tw".utf8)))
        #expect(device.write([], to: .output) == nil)
    }
}
