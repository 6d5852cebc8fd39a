-- Notes kept as `registry.entry` entries in the `notes` namespace, changed at runtime through the
-- registry API. Every change is a new registry version; the history survives restarts.
local io = require("io")
local registry = require("registry")

local NS = "notes"

local function notes_in(snapshot): {any}
    local found = snapshot:find({[".kind"] = "registry.entry", ["meta.type"] = "note"})
    table.sort(found, function(a, b) return a.id < b.id end)
    return found
end

local function show(snapshot)
    local found = notes_in(snapshot)
    io.print(snapshot:version():string() .. ": " .. #found .. " notes")
    for _, note in ipairs(found) do
        io.print("  " .. note.id .. " = " .. note.data.text)
    end
end

local function fail(err): integer
    io.print("error: " .. tostring(err) .. " (" .. err:kind() .. ")")
    return 1
end

local function add(name: string, text: string): integer
    local changes = registry.snapshot():changes()
    changes:create({id = NS .. ":" .. name, kind = "registry.entry", meta = {type = "note"}, data = {text = text}})
    local version, err = changes:apply()
    if not version then return fail(err) end
    io.print("added " .. NS .. ":" .. name .. " at " .. version:string())
    return 0
end

local function delete(name: string): integer
    local version, err = registry.snapshot():changes():delete(NS .. ":" .. name):apply()
    if not version then return fail(err) end
    io.print("deleted " .. NS .. ":" .. name .. " at " .. version:string())
    return 0
end

local function versions(): integer
    local current = registry.current_version()
    for _, version in ipairs(registry.versions()) do
        local snapshot = registry.snapshot_at(version:id())
        local mark = version:id() == current:id() and " (current)" or ""
        io.print(version:string() .. mark .. ": " .. #notes_in(snapshot) .. " notes")
    end
    return 0
end

local function rollback(id: string): integer
    local history = registry.history()
    local version, err = history:get_version(tonumber(id))
    if not version then return fail(err) end
    local ok, apply_err = registry.apply_version(version)
    if not ok then return fail(apply_err) end
    show(registry.snapshot())
    return 0
end

local function main(command: string?, name: string?, ...): integer
    if command == "add" and name then return add(name, table.concat({...}, " ")) end
    if command == "delete" and name then return delete(name) end
    if command == "list" then show(registry.snapshot()) return 0 end
    if command == "versions" then return versions() end
    if command == "rollback" and name then return rollback(name) end
    io.print("usage: notes add NAME TEXT... | delete NAME | list | versions | rollback VERSION")
    return 2
end

return { main = main }
