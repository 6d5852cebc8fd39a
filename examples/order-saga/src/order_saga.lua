-- A saga: each step is an activity whose result is journaled once; the approval is a durable signal.
local funcs = require("funcs")
local time = require("time")
local uuid = require("uuid")

local function main(order)
    -- recorded with the run: the same value when the run is replayed after a crash
    local ticket = uuid.v4()
    local reservation = funcs.call("shop:reserve", order)
    local payment = funcs.call("shop:charge", order)

    -- wait for the manager (a message to this workflow's PID is a durable signal)
    local msg = process.inbox():receive()
    if msg:topic() ~= "approve" then
        funcs.call("shop:refund", payment)
        funcs.call("shop:release", reservation)
        return { id = order.id, status = "rejected", ticket = ticket }
    end

    time.sleep("1s")   -- a durable timer: it fires even across a restart
    local tracking, err = funcs.call("shop:ship", order)
    if not tracking then
        -- compensate in reverse order
        funcs.call("shop:refund", payment)
        funcs.call("shop:release", reservation)
        return { id = order.id, status = "compensated", reason = err:message(), ticket = ticket }
    end
    return { id = order.id, status = "shipped", tracking = tracking, ticket = ticket }
end

return { main = main }
