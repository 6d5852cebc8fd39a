-- Subscribes with a (system, kind) pattern, counts what it sees until the control event `stop`,
-- then reports the counts per "system/kind" to its parent.
local events = require("events")

local function main(parent: string, system: string, kind: string?)
    local sub, err = events.subscribe(system, kind)
    if not sub then error(err) end
    local control = events.subscribe("pubsub.control", "stop")
    process.send(parent, "ready", system .. " " .. (kind or ""))
    local counts = {}
    local feed, stop = sub:channel(), control:channel()
    while true do
        local result = channel.select({feed:case_receive(), stop:case_receive()})
        if result.channel == stop then break end
        local event = result.value
        local key = event.system .. "/" .. event.kind
        counts[key] = (counts[key] or 0) + 1
    end
    -- The bus has one order for every subscriber: what was sent before `stop` is already queued.
    while true do
        local result = channel.select({feed:case_receive(), default = true})
        if result.default then break end
        local key = result.value.system .. "/" .. result.value.kind
        counts[key] = (counts[key] or 0) + 1
    end
    sub:close()
    control:close()
    process.send(parent, "counts", counts)
end

return { main = main }
