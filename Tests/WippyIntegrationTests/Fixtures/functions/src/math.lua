local M = {}

function M.double(n: integer): integer
    return n * 2
end

function M.quadruple(n: integer): integer
    local funcs = require("funcs")
    local twice, err = funcs.call("app:double", n)
    if err then error(err) end
    local result = funcs.call("app:double", twice)
    return result
end

function M.divide(a: number, b: number): (number?, any)
    if b == 0 then
        return nil, errors.new({message = "division by zero", kind = errors.INVALID})
    end
    return a // b
end

function M.describe(person: {name: string, tags: {string}}): string
    return person.name .. " [" .. table.concat(person.tags, ",") .. "]"
end

return M
