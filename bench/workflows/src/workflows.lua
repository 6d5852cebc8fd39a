local funcs = require("funcs")
local time = require("time")

local function one(x: integer): integer
    return funcs.call("wfbench:step", x)
end

local function steps(n: integer): integer
    local x = 0
    for _ = 1, n do x = funcs.call("wfbench:step", x) end
    return x
end

local function sleeper(): boolean
    time.sleep("1h")
    return true
end

-- 20 steps with a 0.1 s durable sleep between them; the last activity reports the sum.
local function recovering(wf: string): integer
    local total = 0
    for i = 1, 20 do
        total = total + funcs.call("wfbench:logged_step", wf, i)
        time.sleep("100ms")
    end
    funcs.call("wfbench:finished", wf, total)
    return total
end

return { one = one, steps = steps, sleeper = sleeper, recovering = recovering }
