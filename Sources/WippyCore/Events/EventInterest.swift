import Synchronization

/// Whether any subscription of a bus matches one system, kept current by the bus on every subscribe and
/// unsubscribe.
///
/// Producers of frequent events (process starts and exits) check ``isActive`` — one atomic load — before
/// building an event, so they cost nothing while nobody listens. Get one with
/// ``EventBus/interest(inSystem:)``; a subscription made before the check is always seen.
public final class EventInterest: Sendable {
    public let system: String
    private let flag = Atomic<Bool>(false)

    init(system: String) {
        self.system = system
    }

    /// True while at least one subscription's system pattern matches ``system``.
    @inline(__always)
    public var isActive: Bool { flag.load(ordering: .acquiring) }

    func update(_ subscriptions: [EventSubscription]) {
        flag.store(subscriptions.contains { $0.system.matches(system) }, ordering: .releasing)
    }
}
