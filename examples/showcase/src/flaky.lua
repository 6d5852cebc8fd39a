local function main(attempt: integer): integer
    if attempt < 3 then error("not yet (attempt " .. attempt .. ")") end
    return 42
end

return { main = main }
