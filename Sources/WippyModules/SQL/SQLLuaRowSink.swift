import WippyLua
import WippyResources

/// Writes the rows of an inline read straight into Lua: an array of tables keyed by column name, NULL
/// leaving the key out, of duplicate names the last winning (as ``SQLLuaValues/push(_:on:)-(SQLRows,_)``).
///
/// The result table is pushed at once (``init(_:)``); the column names follow it on the stack while rows
/// are read (each pushed once, copied per row), and ``finish()`` leaves only the table. After a read that
/// did not complete, ``discard()`` leaves the stack as it was.
struct SQLLuaRowSink: SQLRowSink {
    private let lua: Lua
    private let base: Int32
    private let result: Int32
    private var count: Int64 = 0

    init(_ lua: Lua) {
        self.lua = lua
        base = lua.top
        // Room for one row: most inline reads are point selects, and a table grown from no array part to one
        // slot costs a resize (about 450 instructions of a point select); larger results grow as before.
        lua.newTable(arrayCapacity: 1)
        result = base + 1
    }

    mutating func begin(columns: [String]) {
        // Room for the names, a row, a key and a value (a C function is only promised 20 slots). When
        // Lua cannot grow the stack, the names are pushed per value instead.
        guard lua.ensureStack(Int32(columns.count) + 4) else {
            names = columns
            return
        }
        for name in columns { lua.push(name) }
    }

    /// The column names when they could not be kept on the stack.
    private var names: [String]?

    mutating func beginRow() {
        lua.newTable(arrayCapacity: 0, fieldCapacity: names.map { Int32($0.count) } ?? (lua.top - result))
    }

    private func pushName(_ column: Int) {
        if let names { lua.push(names[column]) } else { lua.pushValue(at: result + 1 + Int32(column)) }
    }

    mutating func add(_ value: SQLValue, column: Int) {
        if case .null = value { return }
        pushName(column)
        SQLLuaValues.push(value, on: lua)
        lua.rawSet(-3)
    }

    mutating func add(text: UnsafeRawBufferPointer, column: Int) {
        pushName(column)
        lua.push(bytes: text)
        lua.rawSet(-3)
    }

    mutating func endRow() {
        count += 1
        lua.rawSet(result, index: count)
    }

    /// Leaves the result table on top (the column names go).
    func finish() { lua.top = result }

    /// Leaves the stack as it was before ``init(_:)``.
    func discard() { lua.top = base }
}
