import Testing
@testable import WippyStore

/// The bind arena keeps every value it handed out where it put it until reset, including across an
/// overflow into a second chunk, and is sized for the overflow afterwards.
@Suite struct SQLiteBindArenaTests {
    @Test func valuesStayInPlaceUntilResetAcrossChunks() {
        let arena = SQLiteBindArena(capacity: 64)
        var copies: [(UnsafeRawPointer, [UInt8])] = []
        for round in 0..<10 {
            let bytes = (0..<(20 + round * 7)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ round) }
            copies.append((bytes.withUnsafeBytes { arena.copy($0) }, bytes))
        }
        #expect(arena.chunkCount > 1)
        for (pointer, bytes) in copies {
            #expect(Array(UnsafeRawBufferPointer(start: pointer, count: bytes.count)) == bytes)
        }
        arena.reset()
        #expect(arena.chunkCount == 1)
        // The same values fit the first chunk now.
        for (_, bytes) in copies { _ = bytes.withUnsafeBytes { arena.copy($0) } }
        #expect(arena.chunkCount == 1)
    }

    @Test func aValueLargerThanAChunkGetsItsOwn() {
        let arena = SQLiteBindArena(capacity: 16)
        let small: [UInt8] = [1, 2, 3]
        let large = [UInt8](repeating: 9, count: 1000)
        let first = small.withUnsafeBytes { arena.copy($0) }
        let second = large.withUnsafeBytes { arena.copy($0) }
        #expect(Array(UnsafeRawBufferPointer(start: first, count: 3)) == small)
        #expect(Array(UnsafeRawBufferPointer(start: second, count: 1000)) == large)
    }
}
