import Testing
@testable import WippyCore

/// The process table's open-addressing map agrees with a `Dictionary` through random inserts, replacements
/// and removals (backward-shift deletion must keep every probe run reachable), growing as it fills.
@Suite struct CellMapTests {
    private final class NeverRuns: ProcessStarter {
        func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
            throw WippyError.internal("never started")
        }
    }

    @Test func agreesWithADictionaryThroughInsertsAndRemovals() {
        let node = Node()
        let host = ProcessHost(id: "test:map", node: node, workerCount: 1)
        let worker = host.workers[0]
        let starter = NeverRuns()
        func cell(_ uniq: UInt64) -> ProcessCell {
            ProcessCell(pid: PID(host: "test:map", uniq: uniq), worker: worker, options: SpawnOptions(), starter: starter)
        }
        var map = CellMap()
        var model: [UInt64: ProcessCell] = [:]
        var generator = SystemRandomNumberGenerator()
        // Sequential counters in one shard's pattern (k * 16 + 3), plus 0 and a few far-apart keys.
        var keys: [UInt64] = (0..<3000).map { UInt64($0) * 16 + 3 }
        keys += [0, UInt64.max, 1 << 63, 12345]
        for round in 0..<40000 {
            let key = keys[Int.random(in: 0..<keys.count, using: &generator)]
            // Mostly inserts at first, mostly removals afterwards: the map grows past its first sizes, then
            // empties.
            let insert = round < 20000 ? Int.random(in: 0..<4, using: &generator) != 0 : Int.random(in: 0..<4, using: &generator) == 0
            if insert {
                let made = cell(key)
                map.insert(made, for: key)
                model[key] = made
            } else {
                map.remove(key)
                model[key] = nil
            }
            if round % 997 == 0 {
                for probe in keys { #expect(map[probe] === model[probe]) }
            }
        }
        #expect(map.count == model.count)
        for probe in keys { #expect(map[probe] === model[probe]) }
        var seen = 0
        map.forEach { cell in
            seen += 1
            #expect(model[cell.pid.uniq] === cell)
        }
        #expect(seen == model.count)
        for key in keys { map.remove(key) }
        #expect(map.count == 0)
        #expect(map[keys[0]] == nil)
    }
}
