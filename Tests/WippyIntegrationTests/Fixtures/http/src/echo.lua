local http = require("http")

local function handler()
    local req, res = http.request(), http.response()
    local data, err = req:body_json()
    if err then
        res:set_status(http.STATUS.BAD_REQUEST)
        res:write_json({error = err:message(), kind = err:kind()})
        return
    end
    local _, again = req:body()
    res:set_header("X-Echo", "yes")
    res:write_json({
        got = data,
        content_type = req:header("content-type"),
        length = req:content_length(),
        second_read = again and again:kind() or "none",
    })
    local late = res:set_header("X-Late", "1")
    res:write("\n")
    res:write(late and late:kind() or "accepted")
end

return { handler = handler }
