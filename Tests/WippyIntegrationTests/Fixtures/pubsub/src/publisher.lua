-- Publishes `count` events of each kind on `system`, numbering them in the path.
local events = require("events")

local function main(parent: string, system: string, kinds: {string}, count: integer)
    for i = 1, count do
        for _, kind in ipairs(kinds) do
            local ok, err = events.send(system, kind, "/" .. system .. "/" .. i, {n = i, kind = kind})
            if not ok then error(err) end
        end
    end
    process.send(parent, "published", system)
end

return { main = main }
