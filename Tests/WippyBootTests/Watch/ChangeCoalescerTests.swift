import Testing
import WippyBoot

/// A made-up clock reading: the coalescer is driven by the times it is given, so no real time passes.
struct TestInstant: InstantProtocol {
    var offset: Duration

    static func ms(_ milliseconds: Int) -> TestInstant { TestInstant(offset: .milliseconds(milliseconds)) }
    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
}

@Suite struct ChangeCoalescerTests {
    func coalescer() -> ChangeCoalescer<TestInstant> {
        ChangeCoalescer(quietWindow: .milliseconds(30), maximumDelay: .milliseconds(500))
    }

    @Test func emptyHasNoDeadlineAndNoBatch() {
        var coalescer = coalescer()
        #expect(coalescer.deadline == nil)
        #expect(coalescer.takeBatch(at: .ms(1000)) == nil)
    }

    @Test func batchIsDueOnceQuietWindowPassed() {
        var coalescer = coalescer()
        coalescer.note(WatchedChange(path: "/p/a.lua"), at: .ms(0))
        #expect(coalescer.deadline == .ms(30))
        #expect(coalescer.takeBatch(at: .ms(29)) == nil)
        #expect(coalescer.takeBatch(at: .ms(30)) == [WatchedChange(path: "/p/a.lua")])
        #expect(coalescer.deadline == nil)
        #expect(coalescer.pending.isEmpty)
    }

    /// An editor's save: write a temporary file, rename it over the original, remove the backup.
    @Test func editorSaveBurstIsOneBatchInFirstSeenOrder() {
        var coalescer = coalescer()
        coalescer.note(WatchedChange(path: "/p/.a.lua.swp"), at: .ms(0))
        coalescer.note(WatchedChange(path: "/p/a.lua"), at: .ms(5))
        #expect(coalescer.takeBatch(at: .ms(20)) == nil)
        coalescer.note(WatchedChange(path: "/p/a.lua~"), at: .ms(20))
        coalescer.note(WatchedChange(path: "/p/a.lua"), at: .ms(25))
        // The window restarted at 25 ms.
        #expect(coalescer.deadline == .ms(55))
        #expect(coalescer.takeBatch(at: .ms(54)) == nil)
        let batch = coalescer.takeBatch(at: .ms(55))
        #expect(batch?.map(\.path) == ["/p/.a.lua.swp", "/p/a.lua", "/p/a.lua~"])
    }

    @Test func steadyStreamIsCutAtMaximumDelay() {
        var coalescer = coalescer()
        var now = 0
        while now < 500 {
            coalescer.note(WatchedChange(path: "/p/log.yaml"), at: .ms(now))
            #expect(coalescer.takeBatch(at: .ms(now)) == nil)
            now += 20
        }
        #expect(coalescer.deadline == .ms(500))
        #expect(coalescer.takeBatch(at: .ms(500)) == [WatchedChange(path: "/p/log.yaml")])
    }

    @Test func laterChangesStartANewBatch() {
        var coalescer = coalescer()
        coalescer.note(WatchedChange(path: "/p/a.lua"), at: .ms(0))
        _ = coalescer.takeBatch(at: .ms(40))
        coalescer.note(WatchedChange(path: "/p/a.lua"), at: .ms(100))
        #expect(coalescer.deadline == .ms(130))
        #expect(coalescer.takeBatch(at: .ms(130)) == [WatchedChange(path: "/p/a.lua")])
    }

    @Test func directoryAndFileOfSamePathAreDistinct() {
        var coalescer = coalescer()
        coalescer.note(WatchedChange(path: "/p/x"), at: .ms(0))
        coalescer.note(WatchedChange(path: "/p/x", isDirectory: true), at: .ms(1))
        #expect(coalescer.takeBatch(at: .ms(100))?.count == 2)
    }

    @Test func maximumDelayIsNeverShorterThanQuietWindow() {
        let coalescer = ChangeCoalescer<TestInstant>(quietWindow: .milliseconds(50), maximumDelay: .milliseconds(10))
        #expect(coalescer.maximumDelay == .milliseconds(50))
    }
}
