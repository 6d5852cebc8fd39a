-- Starts the driver for one workload on the process host and prints its `name value unit` lines.
local io = require("io")

-- The cross-thread variants (`ring_far`, `pingpong_far`): spawned from here (outside the process host), the
-- driver and its partners are placed round-robin over the host's two workers, so each process's partner
-- runs on the other worker and every message crosses threads. Each relay is running before the next is
-- spawned: an idle worker takes over only processes that have not started, which would break the
-- alternation. The driver gets its partner's PID (the ring's head) in a message.
local function spawn_partners(driver: string, workload: string, m: integer?)
    if workload == "pingpong_far" then
        process.send(driver, "partner", process.spawn("bench:pong", "bench:processes"))
    elseif workload == "ring_far" then
        local next_pid = driver
        local inbox = process.inbox()
        for _ = 1, (m or 1000) - 1 do
            next_pid = process.spawn("bench:relay_far", "bench:processes", next_pid, process.pid())
            inbox:receive()
        end
        process.send(driver, "partner", next_pid)
    end
end

local function main(workload: string, a: string?, b: string?): integer
    local driver = process.spawn("bench:driver", "bench:processes", process.pid(), workload, tonumber(a), tonumber(b))
    spawn_partners(driver, workload, tonumber(a))
    local reply = process.inbox():receive()
    if reply:topic() == "error" then
        io.eprint("benchmark failed: " .. tostring(reply:payload():data()))
        return 1
    end
    for _, line in ipairs(reply:payload():data()) do
        io.print(line)
    end
    return 0
end

return { main = main }
