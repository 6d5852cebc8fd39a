local function version()
    return "v0"
end

return { version = version }
