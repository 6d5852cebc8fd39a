local io = require("io")
local queue = require("queue")
local store = require("store")
local funcs = require("funcs")
local time = require("time")

local function main(): integer
    local me = tostring(process.pid())
    local total = 30
    -- the queue holds 10: publish waits for room while the consumers work
    for id = 1, total do
        local ok, err = queue.publish("app:tasks", {id = id, values = {id, id, 1}, reply = me}, {from = "main"})
        if not ok then error(err) end
    end
    local inbox = process.inbox()
    for _ = 1, total do inbox:receive() end
    local results = store.get("app:results")
    local sums, cursor = {}, ""
    repeat
        local page = assert(results:list({prefix = "task:", after = cursor, limit = 7}))
        for _, item in ipairs(page.items) do sums[#sums + 1] = tostring(item.value.sum) end
        cursor = page.cursor
    until not page.has_more
    io.print(#sums .. " results: " .. table.concat(sums, " "))
    local retried = {}
    for _, item in ipairs(results:list({prefix = "retried:"}).items) do retried[#retried + 1] = item.key end
    io.print("redelivered: " .. table.concat(retried, " "))
    local _, bad = queue.publish("app:tasks", function() end)
    io.print("not data: " .. tostring(bad))
    local _, badkey = results:get(12)
    io.print("bad key: " .. tostring(badkey))

    -- a minute: still cached on a loaded machine; 50 ms: surely gone after a 300 ms sleep
    local seen = {}
    for _, key in ipairs({"ada", "ada", "bob", "eve"}) do
        local r = assert(funcs.call("app:lookup", key, key == "eve" and 0.05 or 60))
        seen[#seen + 1] = r.value .. (r.cached and " (cached)" or "")
    end
    time.sleep("300ms")
    local r = assert(funcs.call("app:lookup", "eve", 0.05))
    seen[#seen + 1] = r.value .. (r.cached and " (cached)" or " (expired, recomputed)")
    io.print(table.concat(seen, ", "))
    return 0
end

return { main = main }
