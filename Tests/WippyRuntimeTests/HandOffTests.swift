import Testing
import WippyCore
import WippyRuntime

/// The C hand-off of `process.send` (`wippy_mailbox.c`): a plain message to a process of the same worker that
/// waits alone in `inbox:receive()` is built on the waiting thread in C. One worker, so every process shares
/// it; each test checks what the receiver gets against what the Swift path gives. Processes get their C
/// record by sending with an inbox open (or by being sent to), so the tests send once before the waits they
/// are about.
@Suite struct HandOffTests {
    /// Every plain payload kind, no payload, and table payloads (which take the Swift path) in between:
    /// values, subtypes, topics, sender and per-sender order as sent. Fails if the C path loses a payload,
    /// counts payloads wrong, labels the sender wrong or overtakes a message that took the Swift path.
    @Test func plainAndTablePayloadsArriveInOrderWithTheirValues() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:echo", source: """
            return { main = function()
                local inbox = process.inbox()
                while true do
                    local m = inbox:receive()
                    if m:topic() == "stop" then return "stopped" end
                    local p = m:payload()
                    local d = p and p:data()
                    local text
                    if type(d) == "table" then text = "table:" .. tostring(d.n)
                    elseif math.type(d) then text = math.type(d) .. ":" .. tostring(d)
                    else text = type(d) .. ":" .. tostring(d) end
                    process.send(m:from(), m:topic(), text .. (p == nil and ":none" or ""))
                end
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local echo = process.spawn("test:echo", "app:processes")
                local sent = {}
                local function trip(topic, ...)
                    process.send(echo, topic, ...)
                    local m = inbox:receive()
                    eq("topic of " .. topic, m:topic(), topic)
                    eq("sender of " .. topic, m:from(), echo)
                    return m:payload():data()
                end
                eq("none", trip("a"), "nil:nil:none")
                eq("nil", trip("b", nil), "nil:nil")
                eq("true", trip("c", true), "boolean:true")
                eq("false", trip("d", false), "boolean:false")
                eq("integer", trip("e", 42), "integer:42")
                eq("float", trip("f", 1.5), "float:1.5")
                eq("string", trip("g", "x\\0y"), "string:x\\0y")
                eq("table", trip("h", {n = 7}), "table:7")
                -- a burst: the echo is busy while most arrive (queued, Swift path), then waits again
                for i = 1, 50 do
                    if i % 5 == 0 then process.send(echo, "t" .. i, {n = i}) else process.send(echo, "t" .. i, i) end
                end
                for i = 1, 50 do
                    local m = inbox:receive()
                    eq("burst order", m:topic(), "t" .. i)
                    eq("burst value", m:payload():data(), i % 5 == 0 and ("table:" .. i) or ("integer:" .. i))
                end
                process.send(echo, "stop")
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    /// A task of the receiver starts a `listen` after another task blocked in `inbox:receive()`: the topic
    /// must go to the listen channel, everything else to the inbox. Fails if the hand-off armed before the
    /// listen still delivers the topic to the inbox.
    @Test func aListenStartedWhileTheInboxWaitsTakesItsTopic() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:split", source: """
            return { main = function(parent)
                local inbox = process.inbox()
                -- a send with an inbox open gives this process its C record, so its next wait is armed
                process.send(parent, "hello")
                local gate = channel.new()
                local heard = channel.new(1)
                coroutine.spawn(function()
                    gate:receive()
                    -- the main task is blocked in inbox:receive() by now
                    local jobs = process.listen("job")
                    process.send(parent, "ready")
                    heard:send(jobs:receive())
                end)
                gate:send(true)
                local m = inbox:receive()
                local job = heard:receive()
                return m:topic() .. "/" .. tostring(m:payload():data()) .. " job=" .. tostring(job)
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                -- a first send gives this process its C record: its later sends take the C path
                process.send(process.pid(), "self")
                eq("self", inbox:receive():topic(), "self")
                local split = process.spawn_monitored("test:split", "app:processes", process.pid())
                eq("hello", inbox:receive():topic(), "hello")
                eq("ready", inbox:receive():topic(), "ready")
                process.send(split, "job", "j")
                process.send(split, "other", "o")
                local event = process.events():receive()
                eq("split result", event.result and event.result.value, "other/o job=j")
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    /// Two tasks of one process wait in `inbox:receive()`: each must get one whole message. Fails if a
    /// hand-off builds the message on one task's thread and wakes the other.
    @Test func twoWaitingTasksEachGetAWholeMessage() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:pair", source: """
            return { main = function(parent)
                local inbox = process.inbox()
                process.send(parent, "hello")
                local done = channel.new(2)
                for _ = 1, 2 do
                    coroutine.spawn(function()
                        local m = inbox:receive()
                        done:send(m:topic() .. "=" .. tostring(m:payload():data()))
                    end)
                end
                process.send(parent, "ready")
                local a, b = done:receive(), done:receive()
                if a > b then a, b = b, a end
                return a .. "," .. b
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                process.send(process.pid(), "self")
                eq("self", inbox:receive():topic(), "self")
                local pair = process.spawn_monitored("test:pair", "app:processes", process.pid())
                eq("hello", inbox:receive():topic(), "hello")
                eq("ready", inbox:receive():topic(), "ready")
                process.send(pair, "x", 1)
                process.send(pair, "y", 2)
                local event = process.events():receive()
                eq("pair result", event.result and event.result.value, "x=1,y=2")
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    /// The inbox's only waiter is parked for the C hand-off (unretained, see WaiterQueue); a second task then
    /// selects on the inbox: the parked receive must stay first in line, so the first message is the
    /// receive's and the second the select's. Fails if the select's waiter replaces the parked one (the
    /// receive never returns) or goes ahead of it.
    @Test func aSelectBesideAParkedReceiveComesSecond() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:mixed", source: """
            return { main = function(parent)
                local inbox = process.inbox()
                process.send(parent, "hello")
                local gate, other, got = channel.new(), channel.new(), channel.new(2)
                coroutine.spawn(function()
                    gate:receive()
                    process.send(parent, "ready")
                    local r = channel.select({other:case_receive(), inbox:case_receive()})
                    got:send("select:" .. r.value:topic())
                end)
                gate:send(true)
                local m = inbox:receive()
                got:send("receive:" .. m:topic())
                return got:receive() .. "," .. got:receive()
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local mixed = process.spawn_monitored("test:mixed", "app:processes", process.pid())
                eq("hello", inbox:receive():topic(), "hello")
                eq("ready", inbox:receive():topic(), "ready")
                process.send(mixed, "a")
                process.send(mixed, "b")
                local event = process.events():receive()
                eq("mixed result", event.result and event.result.value, "receive:a,select:b")
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    /// A receiver terminated while it waited in `inbox:receive()` is not reached through its record: the
    /// send fails as for any unknown PID, and a new process (which may reuse the ended one's coroutine)
    /// gets its own messages. Fails if a record outlives its process.
    @Test func aReceiverEndedWhileWaitingIsNotReached() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:once", source: """
            return { main = function(parent)
                local inbox = process.inbox()
                process.send(parent, "ready")
                local m = inbox:receive()
                process.send(parent, "got", m:payload():data())
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local events = process.events()
                local first = process.spawn_monitored("test:once", "app:processes", process.pid())
                eq("first ready", inbox:receive():topic(), "ready")
                eq("terminate", process.terminate(first), true)
                eq("exit", events:receive().kind, process.event.EXIT)
                local ok, err = process.send(first, "m", 1)
                check("send to the ended process fails", ok == false and errors.is(err, errors.NOT_FOUND), err)
                local second = process.spawn("test:once", "app:processes", process.pid())
                eq("second ready", inbox:receive():topic(), "ready")
                check("send to the new process", process.send(second, "m", 2))
                eq("new reply", inbox:receive():payload():data(), 2)
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    /// A small flat table sent to a waiting receiver is copied at the send: a change the sender makes right
    /// after is not seen, keys and values keep their types. A nested table and one holding a function take
    /// the Swift copier (copied, and refused with nothing delivered). Fails if the C path shares the table or
    /// loses an entry.
    @Test func aFlatTableIsCopiedWhenSent() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:view", source: """
            return { main = function()
                local inbox = process.inbox()
                while true do
                    local m = inbox:receive()
                    if m:topic() == "stop" then return end
                    local t = m:payload():data()
                    local inner = type(t.inner) == "table" and t.inner.v or "-"
                    process.send(m:from(), "view", table.concat({
                        math.type(t[1]), tostring(t[1]), tostring(t[2]), tostring(t.x), tostring(t[1.5]),
                        tostring(t[true]), tostring(inner),
                    }, ","))
                end
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                process.send(process.pid(), "self")
                eq("self", inbox:receive():topic(), "self")
                local view = process.spawn("test:view", "app:processes")
                local function look(t)
                    check("sent", process.send(view, "look", t))
                    t.x, t[1], t[true] = "changed", 99, "changed"
                    return inbox:receive():payload():data()
                end
                for round = 1, 3 do
                    eq("flat " .. round, look({1, 2.5, x = "a", [1.5] = true, [true] = false}), "integer,1,2.5,a,true,false,-")
                end
                eq("nested", look({1, 2, x = "a", inner = {v = "deep"}}), "integer,1,2,a,nil,nil,deep")
                local ok, err = process.send(view, "look", {1, f = function() end})
                check("a function is refused", ok == false and errors.is(err, errors.INVALID), err)
                eq("still flat", look({7, x = "b"}), "integer,7,nil,b,nil,nil,-")
                process.send(view, "stop")
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    // MARK: - The C queue (a receiver that is not waiting)

    /// The receiver is woken by the first message and has not run yet when the sender sends the rest (one
    /// worker: the sender runs on): plain ones go to the receiver's C queue until a nested table takes the
    /// Swift path; after it, plain ones take the Swift path too. Fails if a receive takes the mailbox before
    /// the C queue, if C queues behind a message in the mailbox, or if a queued message loses its topic,
    /// sender or payload.
    @Test func aBusyReceiverGetsQueuedAndSwiftMessagesInSendingOrder() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:collector", source: """
            return { main = function(parent)
                local inbox = process.inbox()
                process.send(parent, "ready")
                eq("first", inbox:receive():topic(), "go")
                local got = {}
                for _ = 1, 8 do
                    local m = inbox:receive()
                    local p = m:payload()
                    local d = p and p:data()
                    if type(d) == "table" then d = d.n or (d.inner and d.inner.n) end
                    got[#got + 1] = m:topic() .. "=" .. tostring(d) .. (m:from() == parent and "" or "!from")
                end
                process.send(parent, "got", table.concat(got, ","))
                return report()
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local collector = process.spawn("test:collector", "app:processes", process.pid())
                eq("ready", inbox:receive():topic(), "ready")
                process.send(collector, "go")
                -- the collector is ready to run but not waiting: these are queued
                process.send(collector, "a", 1)
                process.send(collector, "b", "two")
                process.send(collector, "c", {n = 3})
                process.send(collector, "d")
                -- a nested table takes the Swift path, into the mailbox
                process.send(collector, "e", {inner = {n = 5}})
                -- after it, a plain message must not overtake it
                process.send(collector, "f", 6)
                process.send(collector, "g", {n = 7})
                process.send(collector, "h", true)
                local m = inbox:receive()
                eq("order", m:payload():data(), "a=1,b=two,c=3,d=nil,e=5,f=6,g=7,h=true")
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    /// Messages queued in C before a `listen` starts: the topic's go to the listen channel, the others stay
    /// the inbox's, in order. Fails if the queue is not given back to the mailbox when the listen starts (the
    /// listen channel then has nothing and the inbox gets the topic's message).
    @Test func aListenStartedAfterMessagesWereQueuedTakesItsTopic() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:pong", source: Self.pong)
        let result = await node.run(source: Self.selfSender("""
            process.send(me, "u", "inbox 1")
            process.send(me, "t", "for the topic")
            process.send(me, "u", "inbox 2")
            local topic = process.listen("t")
            local r = channel.select({topic:case_receive(), default = true})
            eq("the listen got it", r.default, nil)
            eq("its value", r.value, "for the topic")
            eq("inbox first", inbox:receive():payload():data(), "inbox 1")
            eq("inbox second", inbox:receive():payload():data(), "inbox 2")
            """))
        #expect(result?.text == "ok")
    }

    /// A select over the inbox sees a message queued in C. Fails if it does not (the default case wins).
    @Test func aSelectSeesAQueuedMessage() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:pong", source: Self.pong)
        let result = await node.run(source: Self.selfSender("""
            process.send(me, "s", 5)
            local other = channel.new()
            local r = channel.select({other:case_receive(), inbox:case_receive(), default = true})
            eq("not the default", r.default, nil)
            check("the inbox case", r.channel == inbox)
            eq("the message", r.value and r.value:topic(), "s")
            eq("its payload", r.value and r.value:payload():data(), 5)
            """))
        #expect(result?.text == "ok")
    }

    /// A task blocked sending on the inbox channel itself: a receive takes its value before a message queued
    /// in C, as it would before any mailbox message. Fails if the C receive takes the queued message first.
    @Test func aSenderBlockedOnTheInboxIsReceivedBeforeAQueuedMessage() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:pong", source: Self.pong)
        let result = await node.run(source: Self.selfSender("""
            process.send(me, "q", 1)
            coroutine.spawn(function() inbox:send("direct") end)
            local first = inbox:receive()
            eq("the blocked sender's value first", first, "direct")
            local second = inbox:receive()
            eq("then the queued message", type(second) == "userdata" and second:topic(), "q")
            """))
        #expect(result?.text == "ok")
    }

    /// After its first round trip the relay's `inbox:receive()` blocks in C (its C queue is open): every kind
    /// of delivery must still reach it in order: C hand-offs, messages that take the Swift path (nested
    /// tables) into that blocked receive, and receives made inside a user coroutine (which take the Swift
    /// native). Fails (the relay never answers, or answers out of order or with the wrong value) if a receive
    /// blocked in C is not recorded as the inbox's waiter, is left runnable, or is armed for the wrong
    /// thread.
    @Test func aReceiveBlockedInCTakesEveryKindOfDelivery() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:relay", source: """
            return { main = function(parent)
                local inbox = process.inbox()
                process.send(parent, "hello")
                local n = 0
                while true do
                    n = n + 1
                    local m
                    if n % 4 == 0 then
                        m = coroutine.wrap(function() return inbox:receive() end)()
                    else
                        m = inbox:receive()
                    end
                    if m:topic() == "stop" then return "stopped after " .. n end
                    local p = m:payload()
                    local d = p and p:data()
                    if type(d) == "table" then d = d.inner and d.inner.n or d.n end
                    process.send(m:from(), m:topic(), d)
                end
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local relay = process.spawn_monitored("test:relay", "app:processes", process.pid())
                eq("hello", inbox:receive():topic(), "hello")
                for i = 1, 30 do
                    local topic = "t" .. i
                    if i % 3 == 0 then
                        process.send(relay, topic, {inner = {n = i}})
                    elseif i % 3 == 1 then
                        process.send(relay, topic, i)
                    else
                        process.send(relay, topic, {n = i})
                    end
                    local m = inbox:receive()
                    eq("topic " .. i, m:topic(), topic)
                    eq("value " .. i, m:payload():data(), i)
                end
                process.send(relay, "stop")
                local event = process.events():receive()
                eq("relay result", event.result and event.result.value, "stopped after 31")
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    /// A message from a sender the receiving worker has not seen before carries its sender's text unmade
    /// (`msg:from()` makes it, `wippy_message.c`); a second message from the same sender gets the cached text.
    /// Senders on another node, with counters short (zero-padded) and long, through the mailbox and into a
    /// waiting receive, and one-shot children of the same worker (the Swift same-worker path). Fails if the
    /// text `msg:from()` makes differs from the PID's own text in any part (node, host, `0x`, padding, case),
    /// or changes between two calls.
    @Test func aSenderSeenForTheFirstTimeIsNamedOnlyWhenAsked() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:names", source: """
            return { main = function(parent)
                local inbox = process.inbox()
                process.send(parent, "ready")
                local got = {}
                for _ = 1, 5 do
                    local m = inbox:receive()
                    local a, b = m:from(), m:from()
                    got[#got + 1] = m:topic() .. "=" .. a .. (a == b and "" or "!changed")
                end
                -- one-shot children, each reporting once
                local children = {}
                for i = 1, 3 do children[i] = process.spawn("test:once", "app:processes", process.pid()) end
                for _ = 1, 3 do
                    local m = inbox:receive()
                    local from = m:from()
                    local known = false
                    for _, pid in ipairs(children) do if pid == from then known = true end end
                    got[#got + 1] = known and "child" or ("unknown " .. tostring(from))
                end
                return table.concat(got, ",")
            end }
            """, helpers: false)
        node.install("test:once", source: """
            return { main = function(parent) process.send(parent, "done") end }
            """, helpers: false)
        let collector = node.collector()
        let names = node.spawn("test:names", [.string(collector.pid.description)])
        guard await node.wait("ready", until: { collector.topics.contains("ready") }) else { return }
        let far = PID(node: "far", host: "x:y", uniq: 0xabc)
        let near = PID(host: "app:other", uniq: 0x1234_5678_9abc)
        node.send(names, topic: "a", from: far)
        node.send(names, topic: "b", from: far)
        node.send(names, topic: "c", from: near)
        node.send(names, topic: "d", from: near)
        node.send(names, topic: "e", from: PID(host: "app:other", uniq: 0x10))
        let result = await node.result(of: names)
        #expect(result?.text ==
            "a={far@x:y|0x00abc},b={far@x:y|0x00abc},c={app:other|0x123456789abc},d={app:other|0x123456789abc},"
                + "e={app:other|0x00010},child,child,child")
    }

    /// Answers every message with "pong".
    static let pong = """
        return { main = function()
            local inbox = process.inbox()
            while true do
                local m = inbox:receive()
                if m:topic() == "stop" then return end
                process.send(m:from(), "pong")
            end
        end }
        """

    /// A process that first makes round trips to a pong (so it has its C record and has stopped running in a
    /// receive, which opens its C queue), then runs `body` (which sends to itself: `me`, `inbox`).
    static func selfSender(_ body: String) -> String {
        """
        return { main = function()
            local inbox = process.inbox()
            local me = process.pid()
            local pong = process.spawn("test:pong", "app:processes")
            for i = 1, 2 do
                process.send(pong, "ping")
                eq("pong " .. i, inbox:receive():topic(), "pong")
            end
            \(body)
            process.send(pong, "stop")
            return report()
        end }
        """
    }
}
