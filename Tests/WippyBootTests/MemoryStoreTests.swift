import Synchronization
import Testing
import WippyCore
import WippyResources

/// `store.memory` semantics (lua-api-io §7.2, §11.3) on a manual clock: TTLs, versions, conditional put,
/// `max_size`, list with cursor, the sweep.
@Suite struct MemoryStoreTests {
    final class Clock: Sendable {
        let nanos = Atomic<UInt64>(1_000_000_000)
        func advance(seconds: Double) { nanos.add(UInt64(seconds * 1e9), ordering: .relaxed) }
        var now: @Sendable () -> UInt64 { { self.nanos.load(ordering: .relaxed) } }
    }

    func code(_ body: () throws -> Void) -> ErrorKind? {
        do {
            try body()
            return nil
        } catch {
            return (error as? WippyError)?.kind
        }
    }

    @Test func ttlExpiresAndPlainSetMakesPermanent() throws {
        let clock = Clock()
        let store = MemoryKeyValueStore(now: clock.now)
        try store.set("session:1", .map([("user", 1)]), ttl: 1.5)
        #expect(try store.get("session:1") == .map([("user", 1)]))
        clock.advance(seconds: 1.4)
        #expect(try store.has("session:1"))
        clock.advance(seconds: 0.2)
        #expect(try !store.has("session:1"))
        #expect(code { _ = try store.get("session:1") } == .notFound)
        #expect(try store.delete("session:1") == false)
        try store.set("k", "v", ttl: 1)
        try store.set("k", "w", ttl: nil)
        clock.advance(seconds: 100)
        #expect(try store.get("k") == "w")
        try store.set("gone", 1, ttl: 0.5)
        clock.advance(seconds: 1)
        #expect(store.storedCount == 2)
        #expect(store.sweep() == 1)
        #expect(store.storedCount == 1)
    }

    @Test func versionsAndConditionalPut() throws {
        let store = MemoryKeyValueStore(now: Clock().now)
        let first = try store.put("a", 1, options: StorePutOptions(onlyIfAbsent: true))
        #expect(first.key == ":a" && first.version == 1)
        #expect(code { _ = try store.put("a", 2, options: StorePutOptions(onlyIfAbsent: true)) } == .alreadyExists)
        try store.set("b", 1, ttl: nil)
        let updated = try store.put("a", 3, options: StorePutOptions(ifVersion: 1))
        #expect(updated.version == 3)
        #expect(code { _ = try store.put("a", 4, options: StorePutOptions(ifVersion: 1)) } == .conflict)
        #expect(code { _ = try store.put("none", 4, options: StorePutOptions(ifVersion: 1)) } == .notFound)
        #expect(try store.entry(":a") == StoreEntry(key: ":a", value: 3, version: 3))
    }

    @Test func maxSizeCountsLiveKeysAndAllowsUpdates() throws {
        let clock = Clock()
        let store = MemoryKeyValueStore(maxSize: 2, now: clock.now)
        try store.set("a", 1, ttl: nil)
        try store.set("b", 1, ttl: 1)
        #expect(code { try store.set("c", 1, ttl: nil) } == .unavailable)
        try store.set("a", 2, ttl: nil)
        clock.advance(seconds: 2)
        try store.set("c", 1, ttl: nil)
        #expect(try store.get("c") == 1)
    }

    @Test func listInKeyOrderWithPrefixAndCursor() throws {
        let clock = Clock()
        let store = MemoryKeyValueStore(now: clock.now)
        for name in ["user:3", "user:1", "order:1", "user:2", "user:4"] { try store.set(name, .string(name), ttl: nil) }
        try store.set("user:5", "soon gone", ttl: 1)
        clock.advance(seconds: 2)
        let first = try store.list(prefix: "user:", after: "", limit: 2)
        #expect(first.items.map(\.key) == ["user:1", "user:2"])
        #expect(first.hasMore && first.cursor == "user:2")
        let second = try store.list(prefix: "user:", after: first.cursor, limit: 2)
        #expect(second.items.map(\.key) == ["user:3", "user:4"])
        let last = try store.list(prefix: "user:", after: second.cursor, limit: 2)
        #expect(last.items.isEmpty && !last.hasMore)
        try store.set("plain", 1, ttl: nil)
        #expect(try store.list(prefix: "pla", after: "", limit: 0).items.map(\.key) == [":plain"])
    }
}
