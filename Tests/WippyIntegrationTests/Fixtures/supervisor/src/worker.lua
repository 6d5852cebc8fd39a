local function main(attempt: integer): integer
    if attempt < 3 then
        error("crash on attempt " .. attempt)
    end
    return attempt * 14
end
return { main = main }
