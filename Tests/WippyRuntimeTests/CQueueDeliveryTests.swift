import Testing
import WippyCore
import WippyRuntime

/// Plain messages the worker delivers (from another thread or through the Swift path) to a process that does
/// not wait join its C queue while that is open (`LuaProcess.queueInC`), so that the queue stays open and the
/// process receives in C. Messages of other shapes still go to the mailbox, which closes the queue.
@Suite struct CQueueDeliveryTests {
    /// A receiver blocked on its events (not on its inbox) gets, from a thread that is no worker's, a run of
    /// plain messages (into the C queue), a table (into the mailbox: the queue closes), more plain ones (the
    /// mailbox, behind it), then a cancel. It then starts a `listen`, which moves the C queue into the
    /// mailbox, and drains its inbox. Fails if a message is lost, doubled or out of the sender's order, if a
    /// value or topic changes on the way, or if a message moved out of the C queue loses its sender (whose
    /// text the receiving worker left unformatted: it had never seen that PID).
    @Test func plainMessagesFromAnotherThreadKeepOrderValuesAndSenderThroughTheCQueue() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let collector = node.collector()
        node.install("test:late", source: """
            return { main = function(collector, count, sender)
                local inbox = process.inbox()
                process.send(collector, "ready")
                local event = process.events():receive()
                eq("woken by", event.kind, process.event.CANCEL)
                -- moves what C queued into the mailbox (the listen's topic must find its message there)
                local listened = process.listen("t3")
                for i = 1, count do
                    if i ~= 3 then
                        local m = inbox:receive()
                        eq("order", m:topic(), "t" .. i)
                        eq("sender of t" .. i, m:from(), sender)
                        local p = m:payload()
                        local want
                        if i % 10 == 0 then want = "table:" .. i
                        elseif i % 7 == 0 then want = "none"
                        elseif i % 3 == 0 then want = "s" .. i
                        else want = i end
                        local got
                        if p == nil then got = "none"
                        else
                            got = p:data()
                            if type(got) == "table" then got = "table:" .. tostring(got.n) end
                        end
                        eq("value of t" .. i, got, want)
                        if math.type(want) then eq("subtype of t" .. i, math.type(got), "integer") end
                    end
                end
                eq("listened", listened:receive(), "s3")
                return report()
            end }
            """)
        let count = 60
        let sender = PID(host: "test:elsewhere", uniq: 0x4d2a1)
        let receiver = node.spawn("test:late", [.string(collector.pid.description), .int(Int64(count)), .string(sender.description)])
        #expect(await node.wait("ready", until: { collector.topics.contains("ready") }))
        for i in 1...count {
            let payloads: [Payload]
            if i % 10 == 0 {
                payloads = [.table(PayloadTable(fields: [PayloadField(key: .string("n"), value: .int(Int64(i)))]))]
            } else if i % 7 == 0 {
                payloads = []
            } else if i % 3 == 0 {
                payloads = [.string("s\(i)")]
            } else {
                payloads = [.int(Int64(i))]
            }
            node.send(receiver, topic: "t\(i)", payloads, from: sender)
        }
        #expect(node.node.cancel(receiver, from: nil, reason: "go"))
        let result = await node.result(of: receiver)
        #expect(result?.text == "ok")
    }
}
