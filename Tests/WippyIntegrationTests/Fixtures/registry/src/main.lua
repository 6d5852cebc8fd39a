-- Changes the registry at runtime: a new function entry is callable at once; a broken one is rejected.
local function main()
    local changes = registry.snapshot():changes()
    changes:create({
        id = "app:triple", kind = "function.lua", meta = {type = "tool"},
        data = {source = "return {run = function(x) return x * 3 end}", method = "run"},
    })
    local version, err = changes:apply()
    if err then return "apply failed: " .. tostring(err) end
    local result = funcs.call("app:triple", 14)
    io.print("created " .. version:string() .. " triple(14)=" .. tostring(result))
    local tools = registry.find({["meta.type"] = "tool"})
    io.print("tools " .. #tools)
    local bad = registry.snapshot():changes()
    bad:create({
        id = "app:broken", kind = "function.lua",
        data = {source = "return {run = function(x)\n  return x +\nend}", method = "run"},
    })
    local rejected, reason = bad:apply()
    io.print("rejected " .. tostring(rejected) .. ": " .. tostring(reason))
    io.print("version " .. registry.current_version():string())
    return 0
end

return {main = main}
