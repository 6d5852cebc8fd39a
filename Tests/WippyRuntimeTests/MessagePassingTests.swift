import Testing
import WippyCore
import WippyRuntime

/// core.md §5.7, lua-api-core §6.2, §6.7, §S3, §S9: ordering, copying and message objects.
@Suite struct MessagePassingTests {
    /// 10 000 messages from one sender arrive in order, sender and receiver on different workers.
    @Test func perSenderOrderingOfTenThousandMessages() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:receiver", source: """
            return { main = function(n)
                local inbox = process.inbox()
                local expected, wrong, from = 1, 0, nil
                for i = 1, n do
                    local m = inbox:receive()
                    local v = m:payload():data()
                    if v ~= expected then wrong = wrong + 1 end
                    expected = v + 1
                    from = from or m:from()
                    if m:from() ~= from then wrong = wrong + 1 end
                end
                return "received " .. n .. " out of order " .. wrong
            end }
            """)
        node.install("test:sender", source: """
            return { main = function(target, n)
                for i = 1, n do process.send(target, "seq", i) end
                return "sent"
            end }
            """)
        let receiver = node.spawn("test:receiver", [.int(10_000)])
        let sender = node.spawn("test:sender", [.string(receiver.description), .int(10_000)])
        #expect(await node.result(of: sender).text == "sent")
        #expect(await node.result(of: receiver).text == "received 10000 out of order 0")
    }

    /// Two senders interleave, but each one's messages stay in order.
    @Test func twoSendersEachKeepTheirOrder() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:receiver", source: """
            return { main = function(n)
                local inbox = process.inbox()
                local last, wrong = {}, 0
                for i = 1, n do
                    local m = inbox:receive()
                    local v = m:payload():data()
                    local prev = last[m:from()] or 0
                    if v ~= prev + 1 then wrong = wrong + 1 end
                    last[m:from()] = v
                end
                return "out of order " .. wrong
            end }
            """)
        node.install("test:sender", source: """
            return { main = function(target, n) for i = 1, n do process.send(target, "seq", i) end return "sent" end }
            """)
        let receiver = node.spawn("test:receiver", [.int(6_000)])
        let a = node.spawn("test:sender", [.string(receiver.description), .int(3_000)])
        let b = node.spawn("test:sender", [.string(receiver.description), .int(3_000)])
        _ = await node.result(of: a)
        _ = await node.result(of: b)
        #expect(await node.result(of: receiver).text == "out of order 0")
    }

    func selfSend(_ body: String) async -> String {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local function roundtrip(...)
                    process.send(process.pid(), "t", ...)
                    return inbox:receive()
                end
            \(body)
                return report()
            end }
            """)
        return result.text
    }

    @Test func numbersKeepTheirSubtype() async {
        let result = await selfSend("""
                local m = roundtrip({1, 2.0, 3.5, math.maxinteger, math.mininteger, 2^53, -0.0, 1e308, 7 // 2})
                local t = m:payload():data()
                eq("1", math.type(t[1]), "integer")
                eq("2.0", math.type(t[2]), "float")
                eq("3.5", t[3], 3.5)
                eq("maxinteger", t[4], math.maxinteger) eq("maxinteger type", math.type(t[4]), "integer")
                eq("mininteger", t[5], math.mininteger)
                eq("2^53 float", math.type(t[6]), "float")
                eq("-0.0", 1 / t[7], -math.huge)
                eq("1e308", t[8], 1e308)
                eq("7//2", math.type(t[9]), "integer")
                local top = roundtrip(5, 5.0):payload()
                eq("top-level integer", math.type(top[1]:data()), "integer")
                eq("top-level float", math.type(top[2]:data()), "float")
            """)
        #expect(result == "ok")
    }

    @Test func tablesAreCopiedBothWays() async {
        let result = await selfSend("""
                local t = {x = 1, list = {1, 2, 3}}
                process.send(process.pid(), "t", t)
                t.x = 2
                t.list[1] = 100
                local r = inbox:receive():payload():data()
                eq("copied at send time", r.x, 1)
                eq("nested copied at send time", r.list[1], 1)
                r.x = 3
                r.list[2] = 200
                eq("sender unaffected", t.x, 2)
                eq("sender nested unaffected", t.list[2], 2)
                check("different table", r ~= t)
            """)
        #expect(result == "ok")
    }

    @Test func cyclesAndSharedSubtablesArePreserved() async {
        let result = await selfSend("""
                local shared = {v = 1}
                local t = {a = shared, b = shared, list = {shared, shared}}
                t.self = t
                local r = roundtrip(t):payload():data()
                check("cycle", r.self == r)
                check("shared a/b", r.a == r.b and r.a ~= nil)
                check("shared in array", r.list[1] == r.a and r.list[2] == r.a)
                check("copy, not original", r.a ~= shared)
                eq("value", r.a.v, 1)
                local ring = {}
                ring.next = {next = {next = ring}}
                local rr = roundtrip(ring):payload():data()
                check("ring of three", rr.next.next.next == rr)
            """)
        #expect(result == "ok")
    }

    /// A key that cannot be sent (a function, a channel) refuses the whole message instead of dropping the
    /// field; shared tables in what can be sent keep their sharing.
    @Test func keysThatCannotTravelRefuseTheMessage() async {
        let result = await selfSend("""
                local shared = {v = 1}
                local ok, err = process.send(process.pid(), "t", {{[function() end] = {}}, shared, shared})
                check("function key refused", ok == false and tostring(err) == "cannot send a function used as a table key (at args[1][1])", err)
                local ok2, err2 = process.send(process.pid(), "t", {{[channel.new()] = {}}, shared})
                check("channel key refused", ok2 == false and tostring(err2) == "cannot send a channel used as a table key (at args[1][1])", err2)
                local r = roundtrip({{[shared] = 1}, shared, {again = shared}}):payload():data()
                check("table key and values stay shared", r[3].again == r[2] and r[2] ~= nil and next(r[1]) == r[2], r[2])
            """)
        #expect(result == "ok")
    }

    /// Issue 7, item 6: what cannot travel is refused, never turned into nil.
    @Test func channelsFunctionsAndOtherUserdataAreRefused() async {
        let result = await selfSend("""
                local ok, err = process.send(process.pid(), "t", {ch = channel.new(), n = 1})
                check("channel field refused", ok == false and tostring(err) == "cannot send a channel (at args[1].ch)", err)
                local ok2, err2 = process.send(process.pid(), "t", 3, print)
                check("function payload refused", ok2 == false and tostring(err2) == "cannot send a function (at args[2])", err2)
                local m = roundtrip(1, "two", {3})
                eq("what can travel still does", #m:payload(), 3)
            """)
        #expect(result == "ok")
    }

    @Test func errorObjectsSurviveWithKindRetryableAndDetails() async {
        let result = await selfSend("""
                local e = errors.new({message = "broken", kind = errors.NOT_FOUND, retryable = true, details = {id = 7, tags = {"a"}}})
                local m = roundtrip(e, {nested = e})
                local ps = m:payload()
                local r = ps[1]:data()
                check("is error", errors.is(r, errors.NOT_FOUND))
                eq("message", r:message(), "broken")
                eq("kind", r:kind(), "NotFound")
                eq("retryable", r:retryable(), true)
                eq("details.id", r:details() and r:details().id, 7)
                eq("tostring", tostring(r), "broken")
                local nested = ps[2]:data().nested
                check("nested error", errors.is(nested, "NotFound"), nested)
                local plain = roundtrip(errors.new("x")):payload():data()
                eq("unknown retryable", plain:retryable(), nil)
                eq("unknown kind", plain:kind(), "")
            """)
        #expect(result == "ok")
    }

    @Test func stringsKeepTheirBytes() async {
        let result = await selfSend("""
                local s = "a\\0b\\255\\254"
                local r = roundtrip(s, "héllo"):payload()
                eq("binary length", #r[1]:data(), 5)
                eq("binary equal", r[1]:data(), s)
                eq("utf8", r[2]:data(), "héllo")
            """)
        #expect(result == "ok")
    }

    @Test func messageObjectAccessors() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:sender", source: """
            return { main = function(target)
                process.send(target, "one", {k = "v"})
                process.send(target, "many", 1, "two", {3})
                process.send(target, "none")
                return process.pid()
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local sender = process.spawn("test:sender", "app:processes", process.pid())
                local inbox = process.inbox()
                local one = inbox:receive()
                eq("topic", one:topic(), "one")
                eq("from", one:from(), sender)
                eq("tostring", tostring(one), "process.Message{topic=one}")
                eq("data", one:payload():data().k, "v")
                local many = inbox:receive()
                local ps = many:payload()
                eq("array of payloads", type(ps), "table")
                eq("count", #ps, 3)
                eq("p1", ps[1]:data(), 1) eq("p2", ps[2]:data(), "two") eq("p3", ps[3]:data()[1], 3)
                local none = inbox:receive()
                eq("no payload", none:payload(), nil)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func messageFromOutsideAProcessHasEmptyFrom() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:rx2", source: """
            return { main = function()
                local m = process.inbox():receive()
                return "[" .. tostring(m:from()) .. "] " .. m:topic() .. " " .. tostring(m:payload():data())
            end }
            """)
        let rx = node.spawn("test:rx2")
        node.send(rx, topic: "hello", [.int(5)])
        #expect(await node.result(of: rx).text == "[] hello 5")
    }

    @Test func sendErrors() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local r, e = process.send(process.pid(), "@pid/inbox", 1)
                eq("@ topic result", r, false)
                check("@ topic is Invalid", errors.is(e, errors.INVALID), e)
                local r2, e2 = process.send("no-such-name", "t")
                eq("unknown name", r2, false)
                check("unknown name NotFound", errors.is(e2, errors.NOT_FOUND), e2)
                local r3, e3 = process.send(process.pid())
                check("too few args Invalid", r3 == false and errors.is(e3, errors.INVALID), e3)
                local ok = pcall(process.send, {}, "t")
                eq("table destination raises", ok, false)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// §1.4: a message with no subscriber waits in the mailbox until inbox() is called.
    @Test func messagesWaitUntilTheInboxIsOpened() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                for i = 1, 3 do process.send(process.pid(), "early", i) end
                for i = 1, 10 do coroutine.yield() end
                local inbox = process.inbox()
                local got = {}
                for i = 1, 3 do got[i] = inbox:receive():payload():data() end
                eq("all kept in order", table.concat(got, ","), "1,2,3")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// §S4: a listen subscription takes its topic, everything else still goes to the inbox.
    @Test func listenTakesItsTopicAndInboxTheRest() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local jobs = process.listen("job")
                check("same channel", process.listen("job") == jobs)
                local inbox = process.inbox()
                process.send(process.pid(), "other", "o")
                process.send(process.pid(), "job", "j1")
                process.send(process.pid(), "job", "a", "b")
                eq("listen raw value", jobs:receive(), "j1")
                local multi = jobs:receive()
                eq("listen multi", type(multi) == "table" and table.concat(multi, ","), "a,b")
                eq("inbox gets other", inbox:receive():topic(), "other")
                local r, e = process.listen("@x")
                check("@ listen Invalid", r == nil and errors.is(e, errors.INVALID), e)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func nonStringKeysSurvive() async {
        let result = await selfSend("""
                local r = roundtrip({[true] = "t", [1.5] = "f", [-1] = "neg", [0] = "zero", [10] = "ten", "one"}):payload():data()
                eq("boolean key", r[true], "t")
                eq("float key", r[1.5], "f")
                eq("negative key", r[-1], "neg")
                eq("zero key", r[0], "zero")
                eq("sparse key", r[10], "ten")
                eq("array", r[1], "one")
            """)
        #expect(result == "ok")
    }

    /// A select blocked on the inbox and a local channel is woken by a message from another process.
    @Test func selectOnInboxIsWokenByAnotherProcess() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:later", source: """
            return { main = function(target) for i = 1, 5 do coroutine.yield() end process.send(target, "wake", 9) end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox, local_ch = process.inbox(), channel.new()
                process.spawn("test:later", "app:processes", process.pid())
                local r = channel.select({local_ch:case_receive(), inbox:case_receive()})
                check("inbox chosen", r.channel == inbox)
                eq("topic", r.value:topic(), "wake")
                eq("data", r.value:payload():data(), 9)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func unlistenClosesTheChannelAndTheTopicFallsBackToTheInbox() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local ch = process.listen("news")
                local inbox = process.inbox()
                eq("unlisten", process.unlisten(ch), true)
                local v, ok = ch:receive()
                eq("closed after unlisten", ok, false)
                process.send(process.pid(), "news", "n")
                local m = inbox:receive()
                eq("falls back to inbox", m:topic(), "news")
                local r, e = process.unlisten(inbox)
                check("unlisten of a non-listen channel fails", r == false and e ~= nil, e)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// Tables used as keys survive the copy, including a table that is both a value and a key, and the shared
    /// tables that follow such an entry still resolve.
    @Test func tablesAsKeysAndSharedTablesAfterThem() async {
        let result = await selfSend("""
                local s, shared = {tag = "s"}, {v = 1}
                local t = {s, {[s] = {"under a table key"}}, shared, shared}
                local r = roundtrip(t):payload():data()
                local key = r[1]
                eq("key table copied", key and key.tag, "s")
                local inner = r[2]
                eq("entry under a repeated table key", inner and key and inner[key] and inner[key][1], "under a table key")
                check("shared after it", type(r[3]) == "table" and r[3] == r[4], r[4])
                local fresh = {}
                local r2 = roundtrip({[fresh] = "v"}):payload():data()
                local n = 0
                for k, v in pairs(r2) do n = n + 1 check("fresh table key", type(k) == "table" and v == "v") end
                eq("one entry", n, 1)
            """)
        #expect(result == "ok")
    }

    /// A subscription channel that was closed (inbox:close(), unlisten) is an ordinary closed channel: it
    /// returns nil, false and leaves later messages in the mailbox for the next subscription.
    @Test func closedSubscriptionChannelDoesNotTakeMailboxMessages() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:noop", source: "return { main = function() return true end }")
        let result = await node.run(source: """
            return { main = function()
                -- process.exec blocks this process until the child ran, so messages sent before it are in the
                -- mailbox afterwards; nothing below blocks.
                local function settle() process.exec("test:noop", "app:processes") end
                local inbox = process.inbox()
                inbox:close()
                process.send(process.pid(), "after-close", 1)
                settle()
                local v, ok = inbox:receive()
                eq("closed inbox value", v, nil)
                eq("closed inbox ok", ok, false)
                local fresh = process.inbox()
                check("new channel", fresh ~= inbox)
                local r = channel.select({fresh:case_receive(), default = true})
                eq("message kept for the new inbox", r.value and r.value:topic(), "after-close")
                local news = process.listen("news")
                process.unlisten(news)
                process.send(process.pid(), "news", "n")
                settle()
                local v2, ok2 = news:receive()
                eq("unlistened channel ok", ok2, false)
                local r2 = channel.select({fresh:case_receive(), default = true})
                eq("message went to the inbox", r2.value and r2.value:topic(), "news")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// Lifecycle events that arrive before process.events() is first called wait in the mailbox.
    @Test func eventsQueuedBeforeSubscribingAreDelivered() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:quick", source: "return { main = function(v) return v end }")
        let result = await node.run(source: """
            return { main = function()
                local a = process.spawn_monitored("test:quick", "app:processes", "a")
                local b = process.spawn_monitored("test:quick", "app:processes", "b")
                process.send(process.pid(), "sync")
                process.inbox():receive()
                for i = 1, 10 do coroutine.yield() end
                local events = process.events()
                local e1, e2 = events:receive(), events:receive()
                eq("first", e1.result.value, "a")
                eq("second", e2.result.value, "b")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }
}
