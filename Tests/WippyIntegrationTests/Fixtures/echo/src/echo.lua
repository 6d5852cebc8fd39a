local io = require("io")

local function main(): integer
    local count = 0
    while true do
        local line, err = io.readline()
        if not line then break end
        count = count + 1
        io.write("echo: ", line, "\n")
    end
    io.print("bye after " .. count .. " lines")
    return 0
end
return { main = main }
