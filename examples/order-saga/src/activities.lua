local logger = require("logger")

local function reserve(order)
    logger:info("reserved " .. order.items .. " items for " .. order.id)
    return "reservation-" .. order.id
end

local function charge(order)
    logger:info("charged $" .. order.total .. " for " .. order.id)
    return "payment-" .. order.id
end

-- The carrier is down for orders over $500: the saga compensates.
local function ship(order)
    if order.total > 500 then error("carrier refused the parcel of " .. order.id) end
    logger:info("shipped " .. order.id)
    return "tracking-" .. order.id
end

local function refund(payment)
    logger:info("refunded " .. payment)
    return true
end

local function release(reservation)
    logger:info("released " .. reservation)
    return true
end

return { reserve = reserve, charge = charge, ship = ship, refund = refund, release = release }
