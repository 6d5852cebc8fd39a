import Testing
import WippyCore

@Suite("Event patterns")
struct EventPatternTests {
    @Test("a literal pattern matches only itself")
    func literal() {
        let pattern = EventPattern("registry.commit")
        #expect(pattern.matches("registry.commit"))
        #expect(!pattern.matches("registry"))
        #expect(!pattern.matches("registry.commit.x"))
        #expect(!pattern.matches("registry.commi"))
        #expect(EventPattern("registry").matches("registry"))
        #expect(!EventPattern("registry").matches("registry.x"))
    }

    @Test("* matches exactly one segment")
    func oneSegment() {
        let pattern = EventPattern("registry.*")
        #expect(pattern.matches("registry.create"))
        #expect(!pattern.matches("registry.entry.create"))
        #expect(!pattern.matches("registry"))
        #expect(!pattern.matches("registry."))
        #expect(EventPattern("*.exit").matches("process.exit"))
        #expect(!EventPattern("*.exit").matches("a.process.exit"))
    }

    @Test("for Lua subscriptions a trailing * is a prefix match")
    func trailingStarPrefix() {
        let dotted = EventPattern("orders.*", trailingStarIsPrefix: true)
        #expect(dotted.matches("orders.created"))
        #expect(dotted.matches("orders.eu.created"))
        #expect(!dotted.matches("orders"))
        #expect(!dotted.matches("orders."))
        #expect(!dotted.matches("ordersx.created"))
        let bare = EventPattern("ord*", trailingStarIsPrefix: true)
        #expect(bare.matches("orders"))
        #expect(bare.matches("ord.x"))
        #expect(!bare.matches("ord"))
        // with other wildcards in front, the final * takes one or more segments
        let mixed = EventPattern("(shop|store).*", trailingStarIsPrefix: true)
        #expect(mixed.matches("shop.orders"))
        #expect(mixed.matches("store.orders.eu"))
        #expect(!mixed.matches("shop"))
        #expect(!mixed.matches("depot.orders"))
        // patterns without a trailing single * keep the bus rules
        #expect(EventPattern("*.created", trailingStarIsPrefix: true).matches("user.created"))
        #expect(!EventPattern("*.created", trailingStarIsPrefix: true).matches("a.user.created"))
        #expect(EventPattern("shop.**", trailingStarIsPrefix: true).matches("shop"))
        #expect(EventPattern("*", trailingStarIsPrefix: true).matches("anything.at.all"))
        // the bus itself keeps * as one segment
        #expect(!EventPattern("orders.*").matches("orders.eu.created"))
    }

    @Test("** matches zero or more segments, anywhere")
    func anySegments() {
        let trailing = EventPattern("registry.**")
        for value in ["registry", "registry.create", "registry.entry.create"] { #expect(trailing.matches(value), "\(value)") }
        #expect(!trailing.matches("registryx"))
        #expect(!trailing.matches("other.registry"))
        let middle = EventPattern("a.**.z")
        for value in ["a.z", "a.b.z", "a.b.c.z"] { #expect(middle.matches(value), "\(value)") }
        #expect(!middle.matches("a.b.c"))
        #expect(EventPattern("function.lua.**").matches("function.lua"))
        #expect(EventPattern("function.lua.**").matches("function.lua.bc"))
        #expect(EventPattern("**").matches("anything.at.all"))
    }

    @Test("(a|b) matches any alternative of one segment")
    func alternatives() {
        let pattern = EventPattern("entry.(accept|reject)")
        #expect(pattern.matches("entry.accept"))
        #expect(pattern.matches("entry.reject"))
        #expect(!pattern.matches("entry.create"))
        #expect(!pattern.matches("entry.accept.x"))
        #expect(EventPattern("(process|registry).*").matches("process.exit"))
        #expect(!EventPattern("(process|registry).*").matches("supervisor.exit"))
    }

    @Test("an empty pattern or * alone matches everything")
    func everything() {
        for text in ["", "*"] {
            let pattern = EventPattern(text)
            for value in ["registry", "registry.entry.create", "x", ""] { #expect(pattern.matches(value), "'\(text)' vs '\(value)'") }
        }
    }
}
