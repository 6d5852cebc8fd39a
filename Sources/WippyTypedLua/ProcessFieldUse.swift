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

    /// Locals (their ``StateAnalysis/serial(of:)``) declared alone as `local inbox = process.inbox()`: with
    /// `process` bound to the module, such a local holds the process's inbox channel, unless it is assigned
    /// again somewhere (``reassigned``).
    var inboxLocals: Set<Int> = []
    var reassigned: Set<Int> = []
    /// `inbox:receive()` calls (no arguments) on such locals: the local, the offset of the name, and the
    /// range from the `:` to the `(` included.
    var receiveCalls: [(local: Int, start: Int, method: Range<Int>)] = []

    /// What the chunk's `inbox:receive()` calls become: `__wippy_receive(inbox)`, a call of a chunk local the
    /// runtime binds to the channels' `receive` (``LuaProgram``), instead of a method lookup on the userdata
    /// (a miss through its metatable on every receive). Only the calls on locals that hold the inbox for
    /// sure, and only when `process` is bound; empty otherwise.
    static let receiveName = "__wippy_receive"

    func receiveRewrites() -> [(start: Int, method: Range<Int>)] {
        guard onlyFieldReads else { return [] }
        return receiveCalls.filter { holdsInbox($0.local) }.map { ($0.start, $0.method) }
    }

    private func holdsInbox(_ local: Int) -> Bool { inboxLocals.contains(local) && !reassigned.contains(local) }

    /// Locals declared alone as `local msg = inbox:receive()` on such an inbox local (the message local →
    /// the inbox local): such a local holds a message, or nil once the inbox is closed.
    var messageLocals: [Int: Int] = [:]
    /// `msg:topic()` and `msg:from()` calls (no arguments) on such locals: the local, the offset of the
    /// name, the range from the `:` to the `(` included, the method, and how Lua names the variable in an
    /// error (`local 'msg'` or `upvalue 'msg'`).
    var accessorCalls: [(local: Int, start: Int, method: Range<Int>, name: String, variable: String)] = []

    /// The accessors' locals: `msg:topic()` becomes `__wippy_topic(msg, "local 'msg'")` (and `from` likewise),
    /// C functions the runtime binds that read the message, or raise for a nil the error the method call
    /// raised ("attempt to index a nil value (local 'msg')").
    static let accessorNames = ["topic": "__wippy_topic", "from": "__wippy_from"]

    func accessorRewrites() -> [(start: Int, method: Range<Int>, name: String, variable: String)] {
        guard onlyFieldReads else { return [] }
        return accessorCalls.filter { call in
            guard let inbox = messageLocals[call.local] else { return false }
            return holdsInbox(inbox) && !reassigned.contains(call.local)
        }.map { ($0.start, $0.method, $0.name, $0.variable) }
    }

    /// Statements that are a call of `process.spawn` and nothing else (`process.spawn(...)` alone, so its
    /// result is dropped): the offset of `process`, when the text there is exactly `process.spawn`.
    var spawnStatements: [Int] = []

    /// What such a statement calls instead: `__wippy_spawn(...)`, a chunk local the runtime binds to a spawn
    /// that returns nothing (``LuaProgram``), so the PID text the statement would drop is never made. Of the
    /// same length as `process.spawn`: columns do not move.
    static let spawnName = "__wippy_spawn"

    func spawnRewrites() -> [Int] { onlyFieldReads ? spawnStatements : [] }

    mutating func refuse(_ why: String) {
        if reason == nil { reason = why }
    }

    /// The global `process` starts an expression; `dotFollows` tells whether `.name` comes next.
    mutating func useGlobal(dotFollows: Bool) {
        if dotFollows { reads += 1 } else { refuse("the chunk uses 'process' as a value") }
    }
}
