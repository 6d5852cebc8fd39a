local function greet()
    return "v1"
end

return { greet = greet }
