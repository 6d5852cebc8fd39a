local io = require("io")

type Greeting = {text: string, count: integer}

local function main(name: string?): integer
    local greeting: Greeting = {text = "Hello, " .. (name or "world") .. "!", count = 1}
    io.print(greeting.text)
    return 0
end

return { main = main }
