local logger = require("logger")
local funcs = require("funcs")
local time = require("time")

-- Calls app:greet over and over and logs what it returned, with this process's PID.
local function main()
    local events = process.events()
    while true do
        local value, err = funcs.call("app:greet")
        logger:info("ticker " .. tostring(process.pid()) .. " " .. tostring(value or err))
        -- Wait, unless asked to stop.
        local r = channel.select({events:case_receive(), time.after("50ms"):case_receive()})
        if r.channel == events and r.value.kind == process.event.CANCEL then return 0 end
    end
end

return { main = main }
