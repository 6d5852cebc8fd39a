local function main()
    process.registry.register("echo")
    local inbox = process.inbox()
    local events = process.events()
    while true do
        local r = channel.select({inbox:case_receive(), events:case_receive()})
        if r.channel == events then
            if r.value.kind == process.event.CANCEL then return 0 end
        else
            process.send(r.value:from(), "echo", r.value:payload():data())
        end
    end
end

return { main = main }
