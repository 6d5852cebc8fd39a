import Testing
import WippyCore
import WippyRuntime

/// lua-api-core §1.1, §3, §S7: how a process's return values and errors become its result.
@Suite struct ProcessResultTests {
    func result(_ source: String, _ arguments: [Payload] = []) async -> ProcessResult? {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:entry", source: source, helpers: false)
        return await node.run("test:entry", arguments)
    }

    @Test func onlyTheFirstValueIsTheResult() async {
        #expect(await result("return { main = function() return 1, 2, 3 end }") == ProcessResult(value: .int(1)))
        #expect(await result("return { main = function() return 0 end }") == ProcessResult(value: .int(0)))
        #expect(await result("return { main = function() end }") == ProcessResult(value: .null))
    }

    @Test func stringInSecondSlotIsAnInternalFailure() async {
        let r = await result("return { main = function() return false, 'msg' end }")
        #expect(r?.error?.message == "msg")
        #expect(r?.error?.kind == .internal)
        let r2 = await result("return { main = function() return nil, 'gone' end }")
        #expect(r2?.error?.message == "gone")
    }

    @Test func errorObjectInSecondSlotKeepsItsKind() async {
        let r = await result("""
            return { main = function() return nil, errors.new({message = "nf", kind = errors.NOT_FOUND, retryable = false, details = {k = "v"}}) end }
            """)
        #expect(r?.error?.message == "nf")
        #expect(r?.error?.kind == .notFound)
        #expect(r?.error?.retryable == false)
        #expect(r?.error?.details?["k"] == .string("v"))
    }

    @Test func raisedErrorObjectKeepsItsKind() async {
        let r = await result("return { main = function() error(errors.new({message = 'x', kind = errors.TIMEOUT})) end }")
        #expect(r?.error?.kind == .timeout)
        #expect(r?.error?.message == "x")
    }

    @Test func raisedStringHasEntryAndLine() async {
        let r = await result("return { main = function()\n  local x = 1\n  error('bad')\nend }")
        #expect(r?.error?.message == "test:entry:3: bad")
    }

    @Test func raisedErrorInSpawnedCoroutineHasItsPosition() async {
        let r = await result("return { main = function()\n coroutine.spawn(function()\n error('inner') end)\n channel.new():receive() end }")
        #expect(r?.error?.message == "test:entry:3: inner")
    }

    @Test func argumentsArePositionalIncludingNilHoles() async {
        let r = await result(
            "return { main = function(...) local a, b, c = ... return select('#', ...) .. '|' .. tostring(a) .. '|' .. tostring(b) .. '|' .. tostring(c) end }",
            [.int(1), .null, .string("x")])
        #expect(r?.value == .string("3|1|nil|x"))
    }

    @Test func tableResultIsCopiedWithTypes() async {
        let r = await result("return { main = function() return {1, 2.5, 'x', {nested = true}} end }")
        guard case .table(let table) = r?.value else {
            Issue.record("not a table: \(String(describing: r))")
            return
        }
        #expect(table.array.count == 4)
        #expect(table.array.first == .int(1))
        #expect(table.array.dropFirst().first == .double(2.5))
    }
}
