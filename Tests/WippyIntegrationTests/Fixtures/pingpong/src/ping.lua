local time = require("time")

local function find(name: string): string
    while true do
        local pid = process.registry.lookup(name)
        if pid then return pid end
        time.sleep("5ms")
    end
end

local function main()
    process.registry.register("ping")
    local inbox = process.inbox()
    while true do
        local request = inbox:receive()
        local rounds: integer = request:payload():data()
        local pong = find("pong")
        local value = 0
        for _ = 1, rounds do
            process.send(pong, "ping", value)
            value = inbox:receive():payload():data()
        end
        process.send(request:from(), "done", value)
    end
end
return { main = main }
