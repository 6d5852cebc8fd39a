import Testing
import WippyCore
import WippyModules
import WippyResources
import WippyRuntime

/// The `metrics` module (lua-api-io §8.4) over a real collector: what each call records, which labels are
/// kept, the errors it returns, and `nil, INTERNAL` when metrics are off.
@Suite struct MetricsModuleTests {
    func run(_ body: String, collector: MetricsCollector?) async -> ProcessResult {
        let harness = ModulesHarness()
        if let collector { harness.runtime.resources.install(MetricsCollector.tableID, collector) }
        harness.install("test:main", source: "return function()\nlocal metrics = require(\"metrics\")\n\(body)\nend", modules: ["metrics"])
        return await harness.runEntry("test:main")
    }

    @Test func recordsEveryKindIntoTheCollector() async {
        let collector = MetricsCollector()
        let result = await run("""
            local out = {}
            out[1] = metrics.counter_inc("orders", {shop = "a", n = 5, [1] = "x"})
            out[2] = metrics.counter_add("orders", 2, {shop = "a"})
            out[3] = metrics.gauge_set("queue_depth", 10)
            out[4] = metrics.gauge_inc("queue_depth")
            out[5] = metrics.gauge_dec("queue_depth")
            out[6] = metrics.gauge_dec("queue_depth")
            out[7] = metrics.histogram("latency_ms", 12.5)
            local ok, err = metrics.gauge_set("orders", 1, {shop = "a"})
            out[8] = ok == nil and err:kind() or "no error"
            local bad = pcall(metrics.counter_add, "orders", "lots")
            out[9] = bad
            return out
            """, collector: collector)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == .array([true, true, true, true, true, true, true, "Invalid", false]))
        let text = String(decoding: collector.exposition(), as: UTF8.self)
        #expect(text.contains(#"orders{shop="a"} 3"# + "\n"), "\(text)")
        #expect(text.contains("queue_depth 9.0"), "\(text)")
        #expect(text.contains("latency_ms_count 1"))
    }

    @Test func withoutACollectorEveryCallSaysSo() async {
        let result = await run("""
            local ok, err = metrics.counter_inc("orders")
            return {ok == nil, err:kind(), err:message()}
            """, collector: nil)
        #expect(result.value == .array([true, "Internal", "metrics collector not available"]))
    }
}
