import Testing
import WippyCore
import WippyResources

/// The metrics collector behind the `metrics` module and middleware: what Lua sends (any name, any labels,
/// a name reused as another type) becomes valid Prometheus series or an error, never the registry's crash.
@Suite struct MetricsCollectorTests {
    static func text(_ collector: MetricsCollector) -> String { String(decoding: collector.exposition(), as: UTF8.self) }

    @Test func countersGaugesAndHistogramsAreExposed() throws {
        let collector = MetricsCollector()
        try collector.counterAdd("jobs_done", 1, labels: [("queue", "mail")])
        try collector.counterAdd("jobs_done", 2.5, labels: [("queue", "mail")])
        try collector.gaugeSet("workers", 4)
        try collector.gaugeAdd("workers", 1)
        try collector.gaugeAdd("workers", -2)
        try collector.observe("payload_bytes", 300)
        try collector.observe("request_time", duration: .milliseconds(20), labels: [("route", "/x")])
        let text = Self.text(collector)
        #expect(text.contains(#"jobs_done{queue="mail"} 3.5"#), "\(text)")
        #expect(text.contains("workers 3.0"), "\(text)")
        #expect(text.contains("payload_bytes_count 1"))
        #expect(text.contains(#"request_time_count{route="/x"} 1"#))
    }

    /// A counter that only counted whole amounts prints as an integer, as Prometheus clients print counters
    /// (`3`, not `3.0`); one that got a fraction prints its float sum.
    @Test func wholeCountersPrintAsIntegers() throws {
        let collector = MetricsCollector()
        try collector.counterAdd("requests_total", 1, labels: [("code", "200")])
        try collector.counterAdd("requests_total", 2, labels: [("code", "200")])
        try collector.counterAdd("bytes_total", 0)
        try collector.counterAdd("seconds_total", 0.25)
        try collector.counterAdd("seconds_total", 1)
        let text = Self.text(collector)
        #expect(text.contains(#"requests_total{code="200"} 3"# + "\n"), "\(text)")
        #expect(text.contains("bytes_total 0\n"), "\(text)")
        #expect(text.contains("seconds_total 1.25\n"), "\(text)")
    }

    @Test func badNamesAreCleanedAndConflictsAreErrors() throws {
        let collector = MetricsCollector()
        try collector.counterAdd("orders-total.web", 1, labels: [("shop-id", "7"), ("2x", "y")])
        #expect(Self.text(collector).contains(#"orders_total_web{_x="y",shop_id="7"} 1"# + "\n"), "\(Self.text(collector))")
        // The same name as another type, or with other labels: an error naming the metric.
        #expect { try collector.gaugeSet("orders_total_web", 1) } throws: { ($0 as? WippyError)?.message.contains("is a counter") ?? false }
        #expect(throws: WippyError.self) { try collector.counterAdd("orders_total_web", 1) }
        #expect(throws: WippyError.self) { try collector.observe("orders_total_web", duration: .seconds(1)) }
        #expect(throws: WippyError.self) { try collector.counterAdd("down", -1) }
        try collector.observe("latency", 0.5)
        #expect(throws: WippyError.self) { try collector.observe("latency", duration: .seconds(1)) }
    }
}
