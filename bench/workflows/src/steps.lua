local function step(x: integer): integer
    return x + 1
end

-- The side-effect log of the recovery workload: one line per execution.
local function logged_step(wf: string, i: integer): integer
    local logger = require("logger")
    logger:info("wfstep " .. wf .. " " .. i)
    return i + 1
end

local function finished(wf: string, total: integer): boolean
    local logger = require("logger")
    logger:info("wfdone " .. wf .. " " .. total)
    return true
end

return { step = step, logged_step = logged_step, finished = finished }
