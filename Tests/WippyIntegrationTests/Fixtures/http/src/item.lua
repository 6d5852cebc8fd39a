local http = require("http")

-- Returns a value without touching the response: the server sends it as JSON.
local function handler()
    local req = http.request()
    local params = req:params()
    return {
        id = req:param("id"),
        user = req:param("user_id"),
        rest = req:param("rest"),
        count = #(function() local n = {} for k in pairs(params) do n[#n + 1] = k end return n end)(),
        q = req:query("q"),
        method = req:method(),
        path = req:path(),
    }
end

return { handler = handler }
