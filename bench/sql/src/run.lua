-- Starts the driver for one workload group (sqlite or pg) on the process host and prints its
-- `name value unit` lines.
local io = require("io")

local function main(group: string, secs: string?): integer
    process.spawn("sqlbench:driver", "sqlbench:processes", process.pid(), group, tonumber(secs) or 3)
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
