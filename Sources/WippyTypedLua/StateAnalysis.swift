/// Decides, while the parser walks a chunk, whether the chunk can hold per-process state: whether one
/// instance of it (its functions and tables) could serve every process that runs it without any of them
/// seeing another's doings. The runtime then runs the chunk once per worker instead of once per spawn.
///
/// The proof is deliberately narrow; anything it cannot follow counts as state:
/// - At chunk level (run once, when the module loads) there are no calls except `require("name")` (the
///   value of a built-in module, which every process shares already), no `...`, and no writes to globals.
/// - Inside functions there are no writes to globals or to chunk-level locals (upvalues shared by every
///   caller), and a chunk-level local that may hold a table is used only to call one of its functions
///   (`M.helper(...)`, never `M`, `M.field`, `M:method()` or `M.x = ...`): so no table made by the chunk
///   ever reaches code that could change it. Chunk-level locals that hold a `local function`, a literal or
///   a `require`d module, and are never assigned again, may be used freely.
/// - `_ENV` and `_G` (the process's environment) are not named anywhere.
struct StateAnalysis {
    /// What a chunk-level local holds, as far as its declaration tells.
    enum Kind {
        case function, module, literal, other
    }

    enum Resolution: Equatable {
        case global
        /// A local of the chunk's own body; the number identifies it.
        case chunk(Int)
        /// A local of some function (a fresh one per call).
        case inner
    }

    private struct ChunkLocal {
        var kind: Kind
        var reassigned = false
        var usedFreely = false
    }

    /// The visible locals, innermost last: name, function depth, for chunk-level ones their number, and a
    /// number of every local's own (see ``serial(of:)``).
    private var visible: [(name: String, depth: Int, id: Int, serial: Int)] = []
    private var serials = 0
    private var blocks: [Int] = []
    private var chunkLocals: [ChunkLocal] = []
    /// 0 at chunk level, more inside functions.
    private(set) var depth = 0
    /// Why the chunk may hold state (the first reason found); nil while it provably holds none.
    private(set) var reason: String?

    /// The source range of the last `require("name")` call seen at chunk level (to classify a local).
    var lastRequire: Range<Int>?

    mutating func refuse(_ why: String) {
        if reason == nil { reason = why }
    }

    /// The final verdict (after the whole chunk was parsed).
    mutating func finish() -> String? {
        for local in chunkLocals where local.usedFreely {
            if local.reassigned {
                refuse("a chunk-level local that functions use is assigned again")
            } else if local.kind == .other {
                refuse("a function uses a chunk-level value other than to call its functions")
            }
        }
        return reason
    }

    // MARK: - Scopes

    mutating func openBlock() { blocks.append(visible.count) }

    mutating func closeBlock() {
        guard let start = blocks.popLast() else { return }
        visible.removeSubrange(start...)
    }

    mutating func enterFunction() {
        depth += 1
        openBlock()
    }

    mutating func leaveFunction() {
        closeBlock()
        depth -= 1
    }

    mutating func declare(_ name: String, kind: Kind = .other) {
        checkName(name)
        serials += 1
        if depth == 0 {
            chunkLocals.append(ChunkLocal(kind: kind))
            visible.append((name, 0, chunkLocals.count - 1, serials))
        } else {
            visible.append((name, depth, -1, serials))
        }
    }

    /// The number of the visible local `name` (each declaration gets its own), nil for a global.
    func serial(of name: String) -> Int? {
        visible.last { $0.name == name }?.serial
    }

    /// Whether the visible local `name` belongs to an enclosing function (Lua calls it an upvalue here).
    func isUpvalue(_ name: String) -> Bool {
        guard let local = visible.last(where: { $0.name == name }) else { return false }
        return local.depth < depth
    }

    func resolve(_ name: String) -> Resolution {
        for local in visible.reversed() where local.name == name {
            return local.depth == 0 ? .chunk(local.id) : .inner
        }
        return .global
    }

    /// Whether `_ENV` or `_G` is named anywhere (used, assigned or declared).
    private(set) var namesEnvironment = false

    /// `_ENV` and `_G` reach the process's own environment.
    mutating func checkName(_ name: String) {
        if name == "_ENV" || name == "_G" {
            namesEnvironment = true
            refuse("the chunk names \(name)")
        }
    }

    // MARK: - Uses

    /// A name used as a value, then `fields` `.name` suffixes, then (when `called`) a plain call of that
    /// field as its next suffix.
    mutating func use(_ resolution: Resolution, fields: Int, called: Bool) {
        guard depth > 0, case .chunk(let id) = resolution else { return }
        if fields > 0 && called { return }
        chunkLocals[id].usedFreely = true
    }

    /// A name (or an index rooted at a name when `indexed`) assigned to.
    mutating func assign(_ resolution: Resolution, indexed: Bool) {
        switch resolution {
        case .global:
            refuse(indexed ? "the chunk changes a field of a global" : "the chunk assigns a global")
        case .chunk(let id):
            if depth > 0 {
                refuse("a function assigns a chunk-level local")
            } else if !indexed {
                chunkLocals[id].reassigned = true
            }
        case .inner:
            break
        }
    }

    /// A call at chunk level other than `require("name")`.
    mutating func chunkLevelCall() {
        if depth == 0 { refuse("the chunk calls a function when it loads") }
    }
}
