local io = require("io")

local function main(): integer
    local events = process.events()
    local attempt = 1
    local pid = process.spawn_monitored("app:worker", "app:processes", attempt)
    while true do
        local event = events:receive()
        if event.kind == process.event.EXIT and event.from == pid then
            if event.result.error then
                io.print("attempt " .. attempt .. " failed: " .. tostring(event.result.error))
                attempt = attempt + 1
                pid = process.spawn_monitored("app:worker", "app:processes", attempt)
            else
                io.print("attempt " .. attempt .. " finished with " .. tostring(event.result.value))
                return 0
            end
        end
    end
end
return { main = main }
