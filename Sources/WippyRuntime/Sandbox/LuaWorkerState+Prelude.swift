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

    func loadPrelude() {
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
    }
}
