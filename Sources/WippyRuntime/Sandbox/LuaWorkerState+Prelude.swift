import WippyLua

/// Small pieces of the sandbox written in Lua, compiled once per worker.
extension LuaWorkerState {
    static let preludeSource = """
        local select_raw, case_channel = ...
        local function select(cases, default)
            local has_default = default and true or false
            if type(cases) == "table" and rawget(cases, "default") then has_default = true end
            local index, value, ok = select_raw(cases, has_default)
            if index == nil then return nil, value end
            if index == 0 then return {default = true, ok = true} end
            return {channel = case_channel(cases[index]), value = value, ok = ok}
        end
        return select
        """

    /// `table.sort` with a comparator, in Lua so the comparator runs where the scheduler can preempt it (a
    /// comparator called from C cannot yield). Without a comparator the C sort is used for arrays of up to
    /// ``cSortLimit`` elements; larger ones are sorted here with `<` (a C function, as Lua's own sort compares),
    /// so sorting a huge array cannot hold the worker.
    static let cSortLimit = 4096
    static let sortSource = """
        local c_sort, error, type, less = ...
        local function check(t, i, v)
            if v == nil then error("invalid order function for sorting", 3) end
            return v
        end
        local function insertion(t, lo, hi, lt)
            for i = lo + 1, hi do
                local v = t[i]
                local j = i - 1
                while j >= lo and lt(v, t[j]) do
                    t[j + 1] = t[j]
                    j = j - 1
                end
                t[j + 1] = v
            end
        end
        local function quick(t, lo, hi, lt)
            while hi - lo > 12 do
                local mid = (lo + hi) // 2
                if lt(t[mid], t[lo]) then t[mid], t[lo] = t[lo], t[mid] end
                if lt(t[hi], t[mid]) then
                    t[hi], t[mid] = t[mid], t[hi]
                    if lt(t[mid], t[lo]) then t[mid], t[lo] = t[lo], t[mid] end
                end
                local pivot = t[mid]
                local i, j = lo, hi
                while i <= j do
                    while lt(check(t, i, t[i]), pivot) do
                        i = i + 1
                        if i > hi then error("invalid order function for sorting", 2) end
                    end
                    while lt(pivot, check(t, j, t[j])) do
                        j = j - 1
                        if j < lo then error("invalid order function for sorting", 2) end
                    end
                    if i <= j then
                        t[i], t[j] = t[j], t[i]
                        i = i + 1
                        j = j - 1
                    end
                end
                if j - lo < hi - i then
                    quick(t, lo, j, lt)
                    lo = i
                else
                    quick(t, i, hi, lt)
                    hi = j
                end
            end
            insertion(t, lo, hi, lt)
        end
        return function(t, comp)
            if comp == nil then
                if type(t) ~= "table" or #t <= \(cSortLimit) then return c_sort(t) end
                comp = less
            end
            if type(t) ~= "table" then error("bad argument #1 to 'sort' (table expected, got " .. type(t) .. ")", 2) end
            if type(comp) ~= "function" then
                error("bad argument #2 to 'sort' (function expected, got " .. type(comp) .. ")", 2)
            end
            local n = #t
            if n > 1 then quick(t, 1, n, comp) end
        end
        """

    /// The `__index` of a frozen table whose original metatable had one: contents first, then the original
    /// `__index` applied to the frozen table.
    static let frozenIndexSource = """
        local rawget, type = ...
        return function(hidden, original)
            if type(original) == "table" then
                return function(_, k)
                    local v = rawget(hidden, k)
                    if v ~= nil then return v end
                    return original[k]
                end
            end
            return function(t, k)
                local v = rawget(hidden, k)
                if v ~= nil then return v end
                return original(t, k)
            end
        end
        """

    func loadPrelude() {
        loadFrozenIndex()
        let lua = self.lua
        if let error = lua.load(Array(Self.preludeSource.utf8), name: "=channel") {
            fatalError("prelude does not compile: \(error)")
        }
        lua.push(native: ChannelNatives.selectRaw)
        lua.push(native: ChannelNatives.caseChannel)
        if let error = lua.protectedCall(arguments: 2, results: 1) { fatalError("prelude failed: \(error)") }
        // base.channel.select = select; then freeze base.channel
        lua.push(baseRef)
        lua.rawGet(-1, key: "channel")
        lua.pushValue(at: -3)
        lua.rawSet(-2, key: "select")
        makeReadOnly()
        lua.rawSet(-2, key: "channel")
        lua.pop(2)
        loadSort()
    }

    private func loadFrozenIndex() {
        let lua = self.lua
        if let error = lua.load(Array(Self.frozenIndexSource.utf8), name: "=table.freeze") {
            fatalError("table.freeze support does not compile: \(error)")
        }
        lua.pushGlobals()
        lua.rawGet(-1, key: "rawget")
        lua.rawGet(-2, key: "type")
        lua.remove(at: -3)
        if let error = lua.protectedCall(arguments: 2, results: 1) { fatalError("table.freeze support failed: \(error)") }
        lua.rawSet(Lua.registryIndex, key: "wippy.frozenIndex")
    }

    /// Replaces `table.sort` in the (read-only) table library with the preemptible one.
    private func loadSort() {
        let lua = self.lua
        if let error = lua.load(Array(Self.sortSource.utf8), name: "=table.sort") {
            fatalError("table.sort does not compile: \(error)")
        }
        lua.pushGlobals()
        lua.rawGet(-1, key: "table")
        lua.rawGet(-1, key: "sort")
        lua.remove(at: -2)
        lua.rawGet(-2, key: "error")
        lua.rawGet(-3, key: "type")
        lua.remove(at: -4)
        lua.pushLessThan()
        if let error = lua.protectedCall(arguments: 4, results: 1) { fatalError("table.sort failed: \(error)") }
        // base.table is a read-only proxy; its real table is the proxy's __index.
        lua.push(baseRef)
        lua.rawGet(-1, key: "table")
        lua.getMetatable(-1)
        lua.rawGet(-1, key: "__index")
        lua.pushValue(at: -5)
        lua.rawSet(-2, key: "sort")
        lua.pop(5)
    }
}
