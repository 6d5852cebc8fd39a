local M = {}

function M.greet(name: string): string
    return "Hello, " .. name .. "!"
end

return M
