local io = require("io")
local time = require("time")
local json = require("json")

local inbox
local server

local function call(op: string, key: string?, value: any): any
    process.send(server, "request", {op = op, key = key, value = value, reply_to = process.pid()})
    local reply = inbox:receive()
    if reply:topic() == "error" then return "error: " .. reply:payload():data() end
    return reply:payload():data()
end

local function main(): integer
    inbox = process.inbox()
    server = process.registry.lookup("kv")
    while not server do
        time.sleep("5ms")
        server = process.registry.lookup("kv")
    end
    call("set", "answer", 42)
    call("set", "name", "wippy")
    call("set", "list", {1, 2, 3})
    io.print("get answer -> " .. tostring(call("get", "answer")) .. " (" .. math.type(call("get", "answer")) .. ")")
    io.print("get name -> " .. call("get", "name"))
    io.print("get list -> " .. json.encode(call("get", "list")))
    io.print("keys -> " .. table.concat(call("keys"), ","))
    io.print("delete name -> " .. tostring(call("delete", "name")))
    io.print("get name -> " .. tostring(call("get", "name")))
    io.print("bogus -> " .. call("bogus"))
    return 0
end
return { main = main }
