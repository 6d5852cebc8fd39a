local io = require("io")
local time = require("time")

type Job = {id: integer, input: integer}
type Result = {id: integer, worker: integer, output: integer}

local function worker(id: integer, jobs, results)
    while true do
        local job: Job?, ok = jobs:receive()
        if not ok then return end
        time.sleep("1ms")
        results:send({id = job.id, worker = id, output = job.input * job.input})
    end
end

local function main(): integer
    local jobs = channel.new(4)
    local results = channel.new()
    for w = 1, 3 do
        coroutine.spawn(function() worker(w, jobs, results) end)
    end
    coroutine.spawn(function()
        for i = 1, 10 do jobs:send({id = i, input = i}) end
        jobs:close()
    end)
    local outputs: {[integer]: integer} = {}
    local used = {}
    for _ = 1, 10 do
        local r: Result = results:receive()
        outputs[r.id] = r.output
        used[r.worker] = true
    end
    local sum = 0
    local parts = {}
    for i = 1, 10 do
        sum = sum + outputs[i]
        table.insert(parts, tostring(outputs[i]))
    end
    local workers = 0
    for _ in pairs(used) do workers = workers + 1 end
    io.print("squares: " .. table.concat(parts, " "))
    io.print("sum: " .. sum)
    io.print("workers used: " .. workers)
    return 0
end

return { main = main }
