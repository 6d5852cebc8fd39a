import Testing
import WippyCore

/// `time.sleep`, `time.after`, timers and tickers, run in real processes.
@Suite struct TimeSleepTests {
    @Test func sleepWithAStringBlocksAtLeastThatLong() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t0 = time.now()
                time.sleep("10ms")
                return time.now():sub(t0):milliseconds()
            end
            """)
        #expect(result.error == nil)
        #expect((result.value.intValue ?? 0) >= 10)
    }

    @Test func sleepAcceptsIntegerFloatAndDurationObjects() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t0 = time.now()
                time.sleep(5 * time.MILLISECOND)
                time.sleep(5e6)
                time.sleep(time.parse_duration("5ms"))
                return time.now():sub(t0):milliseconds()
            end
            """)
        #expect(result.error == nil)
        #expect((result.value.intValue ?? 0) >= 15)
    }

    @Test func sleepWithBadDurationReturnsInvalid() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local r, err = time.sleep("soon")
                local r2, err2 = time.sleep({})
                return {r == nil, err:kind(), err:message(), err2:kind()}
            end
            """)
        #expect(result.value == .array([true, "Invalid", "time: invalid duration \"soon\"", "Invalid"]))
    }

    @Test func sleepZeroYieldsOnceToOtherCoroutines() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local order = {}
                local ch = channel.new(1)
                coroutine.spawn(function()
                    ch:receive()
                    table.insert(order, "spawned")
                end)
                ch:send(1)
                table.insert(order, "main")
                time.sleep(0)
                table.insert(order, "after sleep")
                return table.concat(order, ",")
            end
            """)
        #expect(result.value == "main,spawned,after sleep")
    }

    @Test func afterFiresOnceInASelectThenStaysClosed() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local after = time.after("20ms")
                local r = channel.select{ process.inbox():case_receive(), after:case_receive() }
                local again, ok = after:receive()
                return {r.channel == after, r.ok, type(r.value:unix()), again == nil, ok}
            end
            """)
        #expect(result.value == .array([true, true, "number", true, false]))
    }

    @Test func afterRejectsNonPositiveDurations() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local ch, err = time.after(0)
                local ch2, err2 = time.after("-1s")
                return {ch == nil, err:kind(), err:message(), ch2 == nil, err2:kind()}
            end
            """)
        #expect(result.value == .array([true, "Invalid", "time.after: duration must be > 0", true, "Invalid"]))
    }

    @Test func timerFiresAndStopReportsWhetherItWasPending() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local fired = time.timer("5ms")
                local value = fired:channel():receive()
                local late = fired:stop()
                local pending = time.timer("1h")
                local stopped = pending:stop()
                local v, ok = pending:response():receive()
                return {type(value:unix()), late, stopped, v == nil, ok}
            end
            """)
        #expect(result.value == .array(["number", false, true, true, false]))
    }

    @Test func timerResetDiscardsTheOldArm() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t0 = time.now()
                local timer = time.timer("1h")
                local was = timer:reset("10ms")
                local value = timer:channel():receive()
                local ok = pcall(timer.reset, timer, 0)
                return {was, value:sub(t0):milliseconds() >= 10, ok}
            end
            """)
        #expect(result.value == .array([true, true, false]))
    }

    @Test func tickerDropsTicksWhenItsBufferIsFull() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local ticker = time.ticker("1ms")
                time.sleep("100ms")
                local ch = ticker:channel()
                local count = 0
                while true do
                    local r = channel.select{ ch:case_receive(), default = true }
                    if r.default then break end
                    count = count + 1
                end
                local stopped = ticker:stop()
                local v, ok = ch:receive()
                return {count >= 1, count <= 16, stopped, ok}
            end
            """)
        #expect(result.value == .array([true, true, true, false]))
    }

    @Test func tickerKeepsTicking() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local ticker = time.ticker("2ms")
                local ch = ticker:channel()
                local previous = ch:receive()
                for i = 1, 3 do
                    local t = ch:receive()
                    if not t:after(previous) and not t:equal(previous) then return "not increasing" end
                    previous = t
                end
                ticker:stop()
                return "ok"
            end
            """)
        #expect(result.value == "ok")
    }

    /// Time and Duration objects cannot travel (issue 7, item 6): the send is refused, naming the field.
    @Test func timeValuesAreRefusedInMessages() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local ok, err = process.send(process.pid(), "t", {at = time.now(), n = 1})
                local ok2, err2 = process.send(process.pid(), "t", {d = time.parse_duration("1s")})
                return {ok, tostring(err), ok2, tostring(err2)}
            end
            """)
        #expect(result.value == .array([
            false, "cannot send a time.Time value (at args[1].at)", false, "cannot send a time.Duration value (at args[1].d)",
        ]))
    }

    @Test func processesOnSeveralWorkersUseTimersIndependently() async {
        let harness = ModulesHarness(workers: 2)
        for index in 1...4 {
            harness.install("test:p\(index)", source: """
                return function(n)
                    local ch = time.after(n * time.MILLISECOND)
                    local t = ch:receive()
                    return {n, t:location():string(), json.encode({n = n})}
                end
                """, modules: ModulesHarness.allModules)
        }
        async let a = harness.runEntry("test:p1", [1])
        async let b = harness.runEntry("test:p2", [2])
        async let c = harness.runEntry("test:p3", [3])
        async let d = harness.runEntry("test:p4", [4])
        let results = await [a, b, c, d]
        for (offset, result) in results.enumerated() {
            let n = Payload.int(Int64(offset + 1))
            #expect(result.value == .array([n, "Local", .string("{\"n\":\(offset + 1)}")]))
        }
    }
}
