local io = require("io")
local funcs = require("funcs")

local function main(): integer
    local d = funcs.call("app:double", 21)
    io.print("double(21) = " .. tostring(d) .. " (" .. math.type(d) .. ")")
    io.print("quadruple(5) = " .. tostring(funcs.call("app:quadruple", 5)))
    io.print("divide(7, 2) = " .. tostring(funcs.call("app:divide", 7, 2)))
    local value, err = funcs.call("app:divide", 1, 0)
    io.print("divide(1, 0) = " .. tostring(value) .. ", error: " .. tostring(err) .. " (" .. err:kind() .. ")")
    io.print(funcs.call("app:describe", {name = "ada", tags = {"math", "engines"}}))
    local _, missing = funcs.call("app:nothing", 1)
    io.print("missing: " .. missing:kind())
    return 0
end

return { main = main }
