public import WippyLua
public import WippyRuntime

/// `events` (lua-api-core §12): observe and publish events on the runtime's event bus.
///
/// - `events.subscribe(system_pattern [, kind_pattern])` → Subscription | nil, err. Patterns are dotted
///   wildcards: a trailing `*` is a prefix match (`orders.*` takes `orders.a.b`, as in Wippy); elsewhere `*`
///   is one segment, `**` any number, `(a|b)` alternatives; `""` or `"*"` match everything.
///   An empty system pattern is `Invalid` ("system pattern is required").
/// - `sub:channel()` → the subscription's channel (the same one each call, buffer 64); each event arrives as
///   `{system, kind, path, data}`. `sub:close()` → true (idempotent) unsubscribes and closes the channel.
///   `sub:dropped()` → events the bus dropped for this subscription (see below).
/// - `events.send(system, kind, path [, data])` → true | nil, err; empty fields are `Invalid`
///   ("system is required", …); `data` is copied like a message payload.
///
/// Delivery is best-effort observation, not a reliable transport. Events reach the subscriber in global send
/// order through its mailbox and never block the bus or other subscribers. Once in the mailbox an event is
/// not lost, but at most 1024 events per subscription may wait there unreceived: beyond that the bus drops
/// this subscription's events (counted by `sub:dropped()`, and a warning is logged once per burst) until the
/// process catches up. Subscriptions end when the process ends.
///
/// Runtime events: `registry` (`entry.create/update/delete`, `registry.commit`), `supervisor`
/// (`service.update`), `process` (`process.start`, `process.exit`; path = PID, data `{entry, mode, result |
/// error}`).
public struct EventsModule: LuaModule {
    public let name = "events"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.eventSubscription, name: "events.Subscription",
            methods: [
                ("channel", EventsNatives.channel), ("close", EventsNatives.close), ("dropped", EventsNatives.dropped),
            ])
        lua.newTable()
        lua.setFunctions([("subscribe", EventsNatives.subscribe), ("send", EventsNatives.send)], in: -1)
    }
}
