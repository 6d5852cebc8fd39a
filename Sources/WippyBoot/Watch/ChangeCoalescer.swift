/// Turns a burst of file events into one batch: a batch is due once no event arrived for the quiet window,
/// or once the first event of the batch is `maximumDelay` old (so a steady stream still reloads).
///
/// Editors save in several steps (write a temporary file, rename it over the original, delete a backup);
/// one save should be one reload. The coalescer only makes decisions: the caller gives it the time, so it
/// is tested without threads or clocks.
public struct ChangeCoalescer<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public let quietWindow: Duration
    public let maximumDelay: Duration
    /// Changes waiting, in the order first seen.
    public private(set) var pending: [WatchedChange] = []
    private var seen: Set<WatchedChange> = []
    private var firstAt: Instant?
    private var lastAt: Instant?

    public init(quietWindow: Duration, maximumDelay: Duration) {
        self.quietWindow = quietWindow
        self.maximumDelay = max(maximumDelay, quietWindow)
    }

    /// Adds a change seen at `now` (a change already waiting is kept once, and still extends the window).
    public mutating func note(_ change: WatchedChange, at now: Instant) {
        if firstAt == nil { firstAt = now }
        lastAt = now
        if seen.insert(change).inserted { pending.append(change) }
    }

    /// When the waiting changes are due, or `nil` when nothing waits.
    public var deadline: Instant? {
        guard let firstAt, let lastAt else { return nil }
        return min(lastAt.advanced(by: quietWindow), firstAt.advanced(by: maximumDelay))
    }

    /// The batch, if it is due at `now`; the coalescer is then empty again.
    public mutating func takeBatch(at now: Instant) -> [WatchedChange]? {
        guard let deadline, now >= deadline else { return nil }
        let batch = pending
        pending = []
        seen = []
        firstAt = nil
        lastAt = nil
        return batch
    }
}
