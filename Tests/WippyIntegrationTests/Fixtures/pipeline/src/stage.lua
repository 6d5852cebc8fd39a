-- One stage: receives "item" messages, transforms them, forwards to the next stage; "done" is passed on.
local transforms = {
    square = function(x: integer): integer? return x * x end,
    even = function(x: integer): integer? if x % 2 == 0 then return x end return nil end,
    offset = function(x: integer): integer? return x + 1000 end,
}

local function main(kind: string, next_pid: string)
    local f = transforms[kind]
    local inbox = process.inbox()
    while true do
        local msg = inbox:receive()
        if msg:topic() == "done" then
            process.send(next_pid, "done")
            return
        end
        local out = f(msg:payload():data())
        if out ~= nil then process.send(next_pid, "item", out) end
    end
end
return { main = main }
