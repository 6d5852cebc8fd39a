type Request = {op: string, key: string?, value: any, reply_to: string}

local function main()
    process.registry.register("kv")
    local store: {[string]: any} = {}
    local inbox = process.inbox()
    while true do
        local msg = inbox:receive()
        local req: Request = msg:payload():data()
        if req.op == "set" then
            store[req.key] = req.value
            process.send(req.reply_to, "reply", true)
        elseif req.op == "get" then
            process.send(req.reply_to, "reply", store[req.key])
        elseif req.op == "delete" then
            local existed = store[req.key] ~= nil
            store[req.key] = nil
            process.send(req.reply_to, "reply", existed)
        elseif req.op == "keys" then
            local keys = {}
            for k in pairs(store) do table.insert(keys, k) end
            table.sort(keys)
            process.send(req.reply_to, "reply", keys)
        else
            process.send(req.reply_to, "error", "unknown op " .. tostring(req.op))
        end
    end
end
return { main = main }
