-- Runs a job: a tick every `every`, `times` times (0 = until cancelled), each reported to the scheduler.
local time = require("time")

local function main(scheduler: string, id: string, every: string, times: integer)
    local ticker = time.ticker(every)
    local events = process.events()
    local runs = 0
    while times == 0 or runs < times do
        local result = channel.select({ticker:channel():case_receive(), events:case_receive()})
        if result.channel == events and result.value.kind == process.event.CANCEL then
            ticker:stop()
            process.send(scheduler, "stopped", {id = id, runs = runs})
            return
        end
        if result.channel ~= events then
            runs = runs + 1
            process.send(scheduler, "tick", {id = id, runs = runs})
        end
    end
    ticker:stop()
    process.send(scheduler, "finished", {id = id, runs = runs})
end

return { main = main }
