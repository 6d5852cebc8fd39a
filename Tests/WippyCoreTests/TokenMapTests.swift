import Testing
@testable import WippyCore

/// The small token map and set agree with a `Dictionary` and a `Set` through random inserts, replacements
/// and removals, across the switch to hashing past the linear limit and back.
@Suite struct TokenMapTests {
    @Test func agreesWithADictionaryAcrossTheLinearLimit() {
        var map = TokenMap<Int>()
        var model: [UInt64: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        var sawHashed = false, sawLinearAfterHashed = false
        for round in 0..<20000 {
            // Phases of growth (past the limit) and of removals only (to empty), over a key range wider than it.
            let growing = (round / 2000) % 2 == 0
            let key = UInt64.random(in: 0..<40, using: &generator)
            if Int.random(in: 0..<10, using: &generator) < (growing ? 7 : 0) {
                map[key] = round
                model[key] = round
            } else {
                #expect(map.removeValue(forKey: key) == model.removeValue(forKey: key))
            }
            #expect(map.count == model.count)
            #expect(map.isEmpty == model.isEmpty)
            #expect(map[key] == model[key])
            if map.isHashed { sawHashed = true } else if sawHashed { sawLinearAfterHashed = true }
        }
        for key in UInt64(0)..<40 { #expect(map[key] == model[key]) }
        #expect(Dictionary(uniqueKeysWithValues: map.entries.map { ($0.key, $0.value) }) == model)
        #expect(sawHashed && sawLinearAfterHashed)
    }

    @Test func removingTheOnlyEntriesLeavesItEmpty() {
        var map = TokenMap<String>()
        map[7] = "a"
        map[9] = "b"
        map[7] = "c"
        #expect(map.count == 2 && map[7] == "c")
        map[7] = nil
        #expect(map.removeValue(forKey: 9) == "b")
        #expect(map.removeValue(forKey: 9) == nil)
        #expect(map.isEmpty && map[7] == nil)
    }

    @Test func setAgreesWithASet() {
        var set = TokenSet()
        var model = Set<UInt64>()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let token = UInt64.random(in: 0..<30, using: &generator)
            if Bool.random(using: &generator) {
                #expect(set.insert(token) == model.insert(token).inserted)
            } else {
                #expect(set.remove(token) == (model.remove(token) != nil))
            }
            #expect(set.contains(token) == model.contains(token))
            #expect(set.count == model.count)
        }
        #expect(set.elements == model)
        var other = TokenSet()
        for token in model.sorted().reversed() { other.insert(token) }
        #expect(other == set)
        other.insert(1000)
        #expect(other != set)
    }
}
