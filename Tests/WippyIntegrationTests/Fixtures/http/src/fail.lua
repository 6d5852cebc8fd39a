local http = require("http")

local function handler()
    local how = http.request():param("how")
    if how == "raise" then error("boom in handler") end
    if how == "pair" then return nil, "bad things happened" end
    if how == "loop" then
        while true do end
    end
    if how == "status" then
        local res = http.response()
        res:set_status(http.STATUS.ACCEPTED)
        return
    end
    -- "nothing": no reply at all.
end

return { handler = handler }
