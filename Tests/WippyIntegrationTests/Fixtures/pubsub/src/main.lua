-- Publishers and subscribers on the event bus with wildcard filters.
local io = require("io")
local events = require("events")

local subscribers = {
    {"shop.*", nil},                          -- a trailing * is a prefix: everything under shop.
    {"shop.orders", "order.(shipped|delivered)"},
    {"**", "*.created"},                      -- any system, kinds ending in .created
    {"audit", ""},                            -- exactly audit, every kind
    {"shop.**", "user.*"},                    -- shop and below, user kinds
}

local publishers = {
    {"shop.orders", {"order.created", "order.shipped", "order.delivered"}, 5},
    {"shop.users", {"user.created", "user.deleted"}, 3},
    {"audit", {"login", "logout"}, 2},
    {"shop.orders.eu", {"order.created"}, 4},
}

local function main(): integer
    local inbox = process.inbox()
    local pids = {}
    for i, spec in ipairs(subscribers) do
        pids[i] = process.spawn("app:subscriber", "app:processes", process.pid(), spec[1], spec[2])
    end
    for _ = 1, #subscribers do inbox:receive() end  -- every subscriber is subscribed
    for _, spec in ipairs(publishers) do
        process.spawn("app:publisher", "app:processes", process.pid(), spec[1], spec[2], spec[3])
    end
    for _ = 1, #publishers do inbox:receive() end
    events.send("pubsub.control", "stop", "/")
    local reports = {}
    for _ = 1, #subscribers do
        local msg = inbox:receive()
        reports[msg:from()] = msg:payload():data()
    end
    for i, spec in ipairs(subscribers) do
        local counts = reports[pids[i]]
        local keys = {}
        for key in pairs(counts) do keys[#keys + 1] = key end
        table.sort(keys)
        local parts = {}
        for _, key in ipairs(keys) do parts[#parts + 1] = key .. "=" .. counts[key] end
        io.print(spec[1] .. " " .. (spec[2] or "(any)") .. ": " .. (#parts > 0 and table.concat(parts, " ") or "nothing"))
    end
    return 0
end

return { main = main }
