import Synchronization
import Testing
import WippyCore
import WippyRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Issue 7, item 9: the `system` module as lua-api-io §8.6 has it.
@Suite struct SystemModuleTests {
    @Test func processFactsAndProcessorBudget() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local default = system.runtime.max_procs()
                local previous = system.runtime.max_procs(3)
                local now = system.runtime.max_procs()
                local bad, err = system.runtime.max_procs(0)
                return {system.process.hostname(), system.process.cwd(), system.process.pid(), default, previous, now,
                    bad == nil and err:kind(), system.runtime.cpu_count() == default, system.runtime.goroutines() >= 1}
            end
            """, modules: ["system"])
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        var directory = [CChar](repeating: 0, count: 4096)
        getcwd(&directory, 4096)
        let cpus = Int64(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(result.value == .array([
            .string(String(cString: name)), .string(String(cString: directory)), .int(Int64(getpid())), .int(cpus), .int(cpus),
            3, "Invalid", true, true,
        ]), "\(result.text)")
    }

    @Test func memoryLimitAndCollectorPercent() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local out = {system.memory.get_limit(), system.memory.set_limit(64 * 1024 * 1024), system.memory.get_limit()}
                out[#out + 1] = system.memory.set_limit(-5)
                out[#out + 1] = system.memory.get_limit()
                local none, err = system.memory.set_limit()
                out[#out + 1] = none == nil and err:kind()
                out[#out + 1] = system.gc.get_percent()
                out[#out + 1] = system.gc.set_percent(50)
                out[#out + 1] = system.gc.get_percent()
                return out
            end
            """, modules: ["system"])
        #expect(result.value == .array([1_073_741_824, 1_073_741_824, 67_108_864, 67_108_864, -1, "Invalid", 100, 100, 50]), "\(result.text)")
        #expect(harness.runtime.memoryLimit == -1)
        #expect(harness.runtime.gcPercent == 50)
    }

    /// Every field lua-api-io §8.6 lists, with values that hang together.
    @Test func memoryStatsHasEveryField() async {
        let harness = ModulesHarness(workers: 2)
        let result = await harness.run("""
            return function()
                local keep = {}
                for i = 1, 20000 do keep[i] = {i} end
                local before = system.memory.stats()
                system.gc.collect()
                local after = system.memory.stats()
                local fields = {"alloc", "total_alloc", "sys", "heap_alloc", "heap_sys", "heap_idle", "heap_in_use",
                    "heap_released", "heap_objects", "stack_in_use", "stack_sys", "mspan_in_use", "mspan_sys", "num_gc",
                    "next_gc"}
                local missing = {}
                for _, name in ipairs(fields) do
                    if math.type(after[name]) ~= "integer" then missing[#missing + 1] = name end
                end
                return {
                    table.concat(missing, ","), after.alloc > 1000000, after.alloc == after.heap_alloc,
                    after.heap_in_use == after.alloc, after.total_alloc >= after.alloc, after.sys > after.alloc,
                    after.heap_sys >= after.heap_in_use, after.heap_idle == after.heap_sys - after.heap_in_use,
                    after.num_gc > before.num_gc, after.next_gc > 0, after.stack_sys > 0, #keep,
                }
            end
            """, modules: ["system"])
        #expect(result.value == .array(["", true, true, true, true, true, true, true, true, true, true, 20000]), "\(result.text)")
    }

    /// `system.memory.process()`: the caller's own figures under its per-process limit, which `stats()`
    /// reports as `process_limit`.
    @Test func processMemoryFigures() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local before = system.memory.process()
                local held = string.rep("m", 3 * 1024 * 1024)
                local after = system.memory.process()
                return {
                    after.pid == tostring(process.pid()), type(after.entry) == "string" and #after.entry > 0,
                    after.bytes - before.bytes >= 3 * 1024 * 1024, after.mailbox >= 0,
                    after.limit == system.memory.stats().process_limit, after.limit ~= 0, #held,
                }
            end
            """, modules: ["system"])
        #expect(result.value == .array([true, true, true, true, true, true, 3_145_728]), "\(result.text)")
    }

    /// A limit below what the heaps hold makes every worker collect in full (checked on each worker's own
    /// thread); a limit above it, or none, does not.
    @Test func workersCollectWhenTheHeapsExceedTheLimit() async {
        let result = await ModulesHarness(workers: 2).run("""
            return function()
                local keep = {}
                for i = 1, 50000 do keep[i] = {i} end
                local function cycles() return system.memory.stats().num_gc end
                system.memory.set_limit(-1)
                local a = cycles()
                system.memory.set_limit(1024 * 1024 * 1024)
                local b = cycles()
                system.memory.set_limit(1024 * 1024)
                local c = cycles()
                return {b - a, c - b, #keep}
            end
            """, modules: ["system"])
        let values = result.value.tableValue?.array ?? []
        #expect(values.count == 3, "\(result.text)")
        guard values.count == 3 else { return }
        #expect(values[0] == 0, "no collection while under the limit: \(result.text)")
        #expect((values[1].intValue ?? 0) >= 2, "every worker collects once over it: \(result.text)")
    }

    @Test func exitAsksTheApplicationToStopWithTheCode() async {
        let harness = ModulesHarness()
        let noHandler = await harness.run("""
            return function()
                local ok, err = system.exit(3)
                return {ok == nil, err and err:kind()}
            end
            """, modules: ["system"])
        #expect(noHandler.value == .array([true, "Unavailable"]))
        let requested = Mutex<Int32?>(nil)
        harness.runtime.setExitHandler { code in requested.withLock { $0 = code } }
        let result = await harness.run("""
            return function()
                local bad, err = system.exit(300)
                return {bad == nil and err:kind(), system.exit(7)}
            end
            """, modules: ["system"])
        #expect(result.value == .array(["Invalid", true]))
        #expect(requested.withLock { $0 } == 7)
    }
}
