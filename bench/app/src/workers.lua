-- The processes the workloads spawn.
local M = {}

-- spawn_wait: report once and end
function M.child(parent: string)
    process.send(parent, "done")
end

-- idle memory: report, then wait in receive
function M.idle(parent: string)
    process.send(parent, "up")
    process.inbox():receive()
end

-- ring: forward every token to the next process
function M.relay(next_pid: string)
    local inbox = process.inbox()
    while true do
        inbox:receive()
        process.send(next_pid, "token")
    end
end

-- ring_far: report to `spawner` once running, then relay (see run.lua)
function M.relay_far(next_pid: string, spawner: string)
    process.send(spawner, "up")
    M.relay(next_pid)
end

-- pingpong: answer each ping to its sender
function M.pong()
    local inbox = process.inbox()
    while true do
        local msg = inbox:receive()
        if msg:topic() == "stop" then return end
        process.send(msg:from(), "pong")
    end
end

-- timers: sleep 1, 2, ..., 10 ms in turn, then report how long it took
function M.sleeper(parent: string)
    local time = require("time")
    local start = time.now()
    for i = 1, 10 do time.sleep(i * 1000000) end
    process.send(parent, "done", time.now():sub(start):milliseconds())
end

-- registry_event: tells the parent the wall time (ns) at which each registry entry event arrived
function M.event_subscriber(parent: string)
    local time = require("time")
    local events = require("events")
    local sub = events.subscribe("registry", "entry.*")
    local feed = sub:channel()
    process.send(parent, "ready")
    while true do
        local event = feed:receive()
        if event.path == "bench.events:probe" then process.send(parent, "event", time.now():unix_nano()) end
    end
end

return M
