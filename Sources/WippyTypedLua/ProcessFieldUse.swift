/// Decides, while the parser walks a chunk, whether the chunk uses the global `process` only to read its
/// fields (`process.send(...)`, `process.pid()`, `local f = process.inbox`).
///
/// Then the runtime may bind the chunk's `process` to a local holding a plain table with the same fields
/// as the read-only module (see `LuaProgram`): a field read of it is one hash lookup instead of a miss on
/// the read-only proxy and, in an environment that is not flattened, a walk of the environment's
/// `__index` chain for `process` itself. The table is shared by every instance on a worker and is writable,
/// so the proof must show that no code of the chunk can reach it as a value or change the global:
/// - every use of the global name `process` is followed by `.name` (no bare `process`, no `process[k]`,
///   no `process:m()`, no call of `process`);
/// - nothing assigns to the global `process` or to a field rooted at it (`process = v`, `process.x = v`,
///   `function process.f() end`), which the read-only module refuses or which would change what the name
///   means;
/// - the chunk's own `...` (where the runtime passes the table) and `_ENV`/`_G` (which could change or read
///   the global behind the local's back) are never named.
/// Locals named `process` are ordinary locals and play no part.
struct ProcessFieldUse {
    /// Field reads of the global `process` seen so far.
    private(set) var reads = 0
    /// Why the chunk cannot take the local binding (the first reason found); nil while it can.
    private(set) var reason: String?

    /// True when the chunk reads fields of the global `process` and does nothing else with it.
    var onlyFieldReads: Bool { reason == nil && reads > 0 }

    mutating func refuse(_ why: String) {
        if reason == nil { reason = why }
    }

    /// The global `process` starts an expression; `dotFollows` tells whether `.name` comes next.
    mutating func useGlobal(dotFollows: Bool) {
        if dotFollows { reads += 1 } else { refuse("the chunk uses 'process' as a value") }
    }
}
