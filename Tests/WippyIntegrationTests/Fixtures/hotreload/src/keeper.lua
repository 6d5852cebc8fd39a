local logger = require("logger")
local time = require("time")

-- Untouched by the reloads: logs its PID, which must stay the same.
local function main()
    local events = process.events()
    while true do
        logger:info("keeper " .. tostring(process.pid()))
        -- Wait, unless asked to stop.
        local r = channel.select({events:case_receive(), time.after("100ms"):case_receive()})
        if r.channel == events and r.value.kind == process.event.CANCEL then return 0 end
    end
end

return { main = main }
