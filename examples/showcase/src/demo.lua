local io = require("io")
local time = require("time")
local funcs = require("funcs")
local json = require("json")
local registry = require("registry")
local bus = require("events")

type Result = {n: integer, square: integer}

local function main(): integer
    io.print("Wippy for Swift: a short tour")

    -- 1. Processes and messages: five workers on another host report back.
    local me = process.pid()
    for n = 1, 5 do process.spawn("app:worker", "app:processes", me, n) end
    local inbox = process.inbox()
    local squares: {[integer]: integer} = {}
    for _ = 1, 5 do
        local r: Result = inbox:receive():payload():data()
        squares[r.n] = r.square
    end
    io.print("1. five worker processes squared 1..5: " .. json.encode(squares))

    -- 2. Functions calling functions.
    local greeting = funcs.call("app:greet", "Ada")
    io.print("2. function app:greet returned: " .. greeting)

    -- 3. Supervision by hand: restart a crashing process from its EXIT events.
    local events = process.events()
    local attempt = 1
    process.spawn_monitored("app:flaky", "app:processes", attempt)
    while true do
        local e = events:receive()
        if e.kind == process.event.EXIT then
            if e.result.error then
                attempt = attempt + 1
                process.spawn_monitored("app:flaky", "app:processes", attempt)
            else
                io.print("3. a flaky process crashed " .. (attempt - 1) .. " times, then returned " .. tostring(e.result.value))
                break
            end
        end
    end

    -- 4. A service found by name, and a timed round trip.
    local echo = process.registry.lookup("echo")
    while not echo do time.sleep("5ms"); echo = process.registry.lookup("echo") end
    local start = time.now()
    for i = 1, 1000 do
        process.send(echo, "ping", i)
        inbox:receive()
    end
    local elapsed = time.now():sub(start)
    io.print(string.format("4. 1000 round trips to the echo service took %.1f ms", elapsed:milliseconds()))

    -- 5. Channels and coroutines inside one process.
    local ch = channel.new(3)
    coroutine.spawn(function()
        for i = 1, 3 do ch:send(i * 10) end
        ch:close()
    end)
    local got = {}
    while true do
        local v, ok = ch:receive()
        if not ok then break end
        table.insert(got, v)
    end
    io.print("5. a coroutine sent over a channel: " .. table.concat(got, ", "))

    -- 6. The registry changes while it runs: new code for app:greet, announced on the event bus and used
    --    by the very next call. Every change is a version, kept in .wippy/registry.db across runs.
    local changes = bus.subscribe("registry", "entry.*")
    local entry = registry.get("app:greet")
    local original = entry.data.source
    entry.data.source = 'return { greet = function(name) return "Welcome back, " .. name .. "!" end }'
    local version = registry.snapshot():changes():update(entry):apply()
    local event = changes:channel():receive()
    io.print("6. " .. event.kind .. " " .. event.path .. " made " .. version:string() .. "; app:greet now returns: "
        .. funcs.call("app:greet", "Ada"))
    -- put the original back (another version), so the next run starts as this one did
    entry.data.source = original
    version = registry.snapshot():changes():update(entry):apply()
    changes:close()
    io.print("   restored in " .. version:string() .. "; app:greet returns: " .. funcs.call("app:greet", "Ada"))
    io.print("done")
    return 0
end

return { main = main }
