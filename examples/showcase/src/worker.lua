local time = require("time")

local function main(parent: string, n: integer)
    time.sleep("10ms")
    process.send(parent, "result", {n = n, square = n * n})
end

return { main = main }
