local env = require("env")
local fs = require("fs")

local function main()
    io.print("app: " .. env.get("APP_NAME"))
    io.print("greeting: " .. env.get("WIPPY_FIXTURE_GREETING"))
    io.print("workers: " .. env.get("WORKERS"))
    io.print("port: " .. env.get("PORT"))
    local ok, err = env.set("PORT", "9999")
    io.print("set port: " .. tostring(ok) .. " " .. tostring(err and err:kind()))
    io.print("log level: " .. env.get("LOG_LEVEL"))
    env.set("LOG_LEVEL", "debug")
    io.print("log level now: " .. env.get("LOG_LEVEL"))
    env.set("APP_NAME", "renamed")
    local all = env.get_all()
    io.print("all has os greeting: " .. tostring(all.WIPPY_FIXTURE_GREETING ~= nil))
    local data = fs.get("app:data")
    io.print("data: " .. data:readfile("greeting.txt"):gsub("\n", ""))
    return 0
end

return { main = main }
