local io = require("io")
local time = require("time")

local function main(rounds: string?): integer
    local n = tonumber(rounds or "100") // 1
    local ping = process.registry.lookup("ping")
    while not ping do
        time.sleep("5ms")
        ping = process.registry.lookup("ping")
    end
    process.send(ping, "start", n)
    local reply = process.inbox():receive()
    io.print(reply:topic() .. " after " .. tostring(reply:payload():data()) .. " round trips")
    return 0
end
return { main = main }
