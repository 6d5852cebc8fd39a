local function main()
    process.registry.register("pong")
    local inbox = process.inbox()
    local events = process.events()
    while true do
        local r = channel.select({inbox:case_receive(), events:case_receive()})
        if r.channel == events then
            if r.value.kind == process.event.CANCEL then return 0 end
        else
            local msg = r.value
            local n: integer = msg:payload():data()
            process.send(msg:from(), "pong", n + 1)
        end
    end
end
return { main = main }
