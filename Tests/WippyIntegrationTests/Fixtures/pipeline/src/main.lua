local io = require("io")

local function main(): integer
    local me = process.pid()
    local offset = process.spawn("app:stage", "app:processes", "offset", me)
    local even = process.spawn("app:stage", "app:processes", "even", offset)
    local square = process.spawn("app:stage", "app:processes", "square", even)
    for i = 1, 10 do process.send(square, "item", i) end
    process.send(square, "done")
    local inbox = process.inbox()
    local received = {}
    while true do
        local msg = inbox:receive()
        if msg:topic() == "done" then break end
        table.insert(received, tostring(msg:payload():data()))
    end
    io.print("pipeline output: " .. table.concat(received, ", "))
    return 0
end
return { main = main }
