local logger = require("logger")
local funcs = require("funcs")

-- Calls bench:version in a tight loop; logs `served <version>` on the first call that returns a new value.
local function main()
    local last = nil
    while true do
        local value = funcs.call("bench:version")
        if value ~= last then
            logger:info("served " .. tostring(value))
            last = value
        end
    end
end

return { main = main }
