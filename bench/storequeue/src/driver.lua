-- store.memory get/set and queue publish -> consume throughput, per second, from Lua on the runtime.
local time = require("time")
local store = require("store")
local queue = require("queue")

local function seconds_since(start): number
    return time.now():sub(start):seconds()
end

local function rate(name: string, count: integer, secs: number): string
    return string.format("%s %d ops/s", name, math.floor(count / secs))
end

-- n sets then n gets over 1000 keys of a store.memory (after a warm-up of each).
local function store_memory(n: integer): {string}
    local s = store.get("sqbench:cache")
    local value = {user = 42, name = "ada", tags = {"a", "b"}}
    for i = 1, 1000 do s:set("key:" .. i, value) end
    local keys = {}
    for i = 1, 1000 do keys[i] = "key:" .. i end
    local start = time.now()
    for i = 1, n do s:set(keys[i % 1000 + 1], value) end
    local set_secs = seconds_since(start)
    start = time.now()
    for i = 1, n do s:get(keys[i % 1000 + 1]) end
    local get_secs = seconds_since(start)
    s:release()
    return {rate("lua_store_memory_get_per_s", n, get_secs), rate("lua_store_memory_set_per_s", n, set_secs)}
end

-- n messages published to a memory queue and handled by its consumer (concurrency 8, one function call
-- per message, each telling this process); timed from the first publish to the last notification.
local function publish_consume(n: integer): {string}
    local me = tostring(process.pid())
    local inbox = process.inbox()
    local function round(count: integer)
        local received = 0
        -- receive while publishing: the queue holds 1000 messages, the publisher waits when it is full
        coroutine.spawn(function()
            for i = 1, count do
                local ok, err = queue.publish("sqbench:jobs", {reply = me, n = i})
                if not ok then error(err) end
            end
        end)
        while received < count do
            inbox:receive()
            received = received + 1
        end
    end
    round(1000)
    local start = time.now()
    round(n)
    return {rate("lua_queue_publish_consume_per_s", n, seconds_since(start))}
end

local function main(reply_to: string)
    local ok, lines = pcall(function()
        local out = store_memory(1000000)
        for _, line in ipairs(publish_consume(50000)) do out[#out + 1] = line end
        return out
    end)
    if not ok then
        process.send(reply_to, "error", tostring(lines))
        return
    end
    process.send(reply_to, "result", lines)
end

return { main = main }
