local logger = require("logger")
local time = require("time")

local ORDER = { id = "order-1001", items = 3, total = 120 }

-- Starts the order (or finds it running after a restart) and reports how it ends; leaves on CANCEL.
local function shop()
    local pid, err = process.with_options({ ["workflow.id"] = ORDER.id })
        :spawn_monitored("shop:order_saga", "shop:orders", ORDER)
    if not pid then
        logger:error("cannot start " .. ORDER.id .. ": " .. tostring(err))
        return
    end
    logger:info("order workflow " .. pid .. " is running")
    local events = process.events()
    while true do
        local event = events:receive()
        if event.kind == process.event.CANCEL then return end
        if event.kind == process.event.EXIT then
            local result = event.result.value
            if result then
                logger:info(ORDER.id .. " finished: " .. result.status .. " (ticket " .. result.ticket .. ")")
            else
                logger:info(ORDER.id .. " ended: " .. tostring(event.result.error))
            end
        end
    end
end

-- Approves the order after 10 seconds; leaves on CANCEL.
local function manager()
    local events = process.events()
    local r = channel.select({ events:case_receive(), time.after("10s"):case_receive() })
    if r.channel == events then return end
    local ok, err = process.send("{shop:orders@shop:orders|" .. ORDER.id .. "}", "approve", "ok from the manager")
    if ok then logger:info("manager approved " .. ORDER.id) else logger:info("nothing to approve: " .. tostring(err)) end
    while events:receive().kind ~= process.event.CANCEL do end
end

return { shop = shop, manager = manager }
