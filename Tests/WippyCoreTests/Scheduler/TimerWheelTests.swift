import Testing
@testable import WippyCore

/// The worker's timer wheel, driven with made-up times: never early, at most one slot late once polled,
/// first-in first-out for equal deadlines, deadlines past the wheel's range kept in order, and every process
/// reference given back.
@Suite struct TimerWheelTests {
    private final class NeverRuns: ProcessStarter {
        func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
            throw WippyError.internal("never started")
        }
    }

    private let host = ProcessHost(id: "test:wheel", node: Node(), workerCount: 1)
    private let starter = NeverRuns()

    private func cell(_ uniq: UInt64) -> ProcessCell {
        ProcessCell(pid: PID(host: "test:wheel", uniq: uniq), worker: host.workers[0], options: SpawnOptions(), starter: starter)
    }

    private static let slot = TimerWheel.slotNanoseconds
    private static let start: UInt64 = 5_000_000_000  // an arbitrary monotonic time, not slot-aligned
        + 12_345

    /// Tokens popped at `now`, in order.
    private static func pop(_ wheel: inout TimerWheel, at now: UInt64) -> [UInt64] {
        var tokens: [UInt64] = []
        while let (cell, token) = wheel.popDueRetained(now: now) {
            cell.release()
            tokens.append(token)
        }
        return tokens
    }

    @Test func aTimerFiresOnceItsSlotHasPassedAndNeverBeforeItsDeadline() {
        var wheel = TimerWheel()
        let process = cell(1)
        let deadline = Self.start + 1_000_000
        _ = Self.pop(&wheel, at: Self.start)  // the worker has looked at its timers before
        wheel.insert(deadline: deadline, process: process, token: 7)
        #expect(wheel.count == 1)
        #expect(Self.pop(&wheel, at: deadline - 1).isEmpty)
        let due = wheel.earliest ?? 0
        #expect(due >= deadline && due <= deadline + Self.slot, "earliest \(due) for deadline \(deadline)")
        #expect(Self.pop(&wheel, at: due - 1).isEmpty)
        #expect(Self.pop(&wheel, at: due) == [7])
        #expect(wheel.isEmpty && wheel.earliest == nil)
    }

    @Test func equalDeadlinesFireInArmingOrderAndEarlierSlotsFirst() {
        var wheel = TimerWheel()
        let process = cell(1)
        let base = Self.start + 3_000_000
        wheel.insert(deadline: base + 5 * Self.slot, process: process, token: 1)
        wheel.insert(deadline: base, process: process, token: 2)
        wheel.insert(deadline: base + 5 * Self.slot, process: process, token: 3)
        wheel.insert(deadline: base, process: process, token: 4)
        wheel.insert(deadline: base + 2 * Self.slot, process: process, token: 5)
        #expect(Self.pop(&wheel, at: base + 10 * Self.slot) == [2, 4, 5, 1, 3])
    }

    @Test func aDeadlineInThePastFiresAtTheNextLook() {
        var wheel = TimerWheel()
        let process = cell(1)
        _ = Self.pop(&wheel, at: Self.start)
        wheel.insert(deadline: Self.start - 1_000_000, process: process, token: 9)
        #expect(Self.pop(&wheel, at: Self.start + Self.slot) == [9])
    }

    @Test func timersBeyondTheWheelKeepTheirOrderAndFireInTime() {
        var wheel = TimerWheel()
        let process = cell(1)
        _ = Self.pop(&wheel, at: Self.start)
        // Seconds to hours away, armed out of order; two share a deadline.
        let offsets: [UInt64] = [3_600_000_000_000, 2_000_000_000, 90_000_000, 2_000_000_000, 500_000_000]
        for (token, offset) in offsets.enumerated() {
            wheel.insert(deadline: Self.start + offset, process: process, token: UInt64(token))
        }
        #expect(Self.pop(&wheel, at: Self.start + 89_000_000).isEmpty)
        // Looking now and then, as a worker does, moves each into the wheel as it comes in range.
        var fired: [UInt64] = []
        var now = Self.start
        while now < Self.start + 3_000_000_000 {
            now += 7_000_000
            fired += Self.pop(&wheel, at: now)
        }
        #expect(fired == [2, 4, 1, 3])
        #expect(wheel.count == 1)
        let last = wheel.earliest ?? 0
        #expect(last >= Self.start + offsets[0] && last <= Self.start + offsets[0] + Self.slot)
        #expect(Self.pop(&wheel, at: last) == [0])
    }

    /// Random deadlines and random looks, against the rules: a timer never fires before its deadline, and a
    /// look at `now` fires every timer whose slot ended by then; slots fire in order, ties in arming order.
    @Test func randomTimersAndLooksFollowTheRules() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var wheel = TimerWheel()
            let process = cell(1)
            var pending: [UInt64: UInt64] = [:]  // token -> deadline
            var early: Set<UInt64> = []  // armed for a slot before the last look's: fired at the next look
            var now = Self.start
            var looked = now
            var token: UInt64 = 0
            _ = Self.pop(&wheel, at: now)
            for _ in 0..<400 {
                for _ in 0..<Int.random(in: 0...8, using: &generator) {
                    token += 1
                    // Mostly the near range, some far, some already past.
                    let offset: Int64 = switch Int.random(in: 0..<10, using: &generator) {
                    case 0: -Int64.random(in: 0...2_000_000, using: &generator)
                    case 1: Int64.random(in: 60_000_000...400_000_000, using: &generator)
                    default: Int64.random(in: 0...20_000_000, using: &generator)
                    }
                    let deadline = UInt64(Int64(now) + offset)
                    wheel.insert(deadline: deadline, process: process, token: token)
                    pending[token] = deadline
                    if deadline >> TimerWheel.slotShift < now >> TimerWheel.slotShift { early.insert(token) }
                }
                now += UInt64.random(in: 0...3_000_000, using: &generator)
                var lastSlot: UInt64 = 0
                var lastDeadline: [UInt64: UInt64] = [:]  // deadline -> last token fired with it
                for fired in Self.pop(&wheel, at: now) {
                    guard let deadline = pending.removeValue(forKey: fired) else {
                        Issue.record("token \(fired) fired twice or was never armed")
                        continue
                    }
                    #expect(deadline <= now, "never before the deadline")
                    let slot = deadline >> TimerWheel.slotShift
                    if early.remove(fired) == nil {
                        #expect(slot >= lastSlot, "slots in order")
                        lastSlot = slot
                    }
                    if let before = lastDeadline[deadline] { #expect(before < fired, "ties in arming order") }
                    lastDeadline[deadline] = fired
                }
                // A timer armed for a slot the last look had passed counts from that look's slot.
                let overdue = pending.filter { token, deadline in
                    let slot = early.contains(token) ? looked >> TimerWheel.slotShift : deadline >> TimerWheel.slotShift
                    return slot < now >> TimerWheel.slotShift
                }
                looked = now
                #expect(overdue.isEmpty, "left behind at \(now): \(overdue)")
                #expect(wheel.count == pending.count)
            }
        }
    }

    @Test func theWheelGivesBackEveryProcessItHolds() {
        weak var near: ProcessCell?
        weak var far: ProcessCell?
        weak var fired: ProcessCell?
        do {
            var wheel = TimerWheel()
            let a = cell(1), b = cell(2), c = cell(3)
            near = a
            far = b
            fired = c
            wheel.insert(deadline: Self.start + 1_000_000, process: a, token: 1)
            wheel.insert(deadline: Self.start + 10_000_000_000, process: b, token: 2)
            wheel.insert(deadline: Self.start, process: c, token: 3)
            #expect(Self.pop(&wheel, at: Self.start + Self.slot) == [3])
            _ = consume wheel
        }
        #expect(near == nil && far == nil && fired == nil)
    }
}
