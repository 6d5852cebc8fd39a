-- The chat room: a service registered as "lobby". Members join and post by message; posts are
-- relayed to every member and published on the event bus (system "chat"). Limits come from the
-- registry entry app:rooms.lobby, read on each request, so changing the entry changes the room.
local registry = require("registry")
local events = require("events")

local members = {}   -- pid -> nick
local count = 0

local function settings()
    local entry, err = registry.get("app:rooms.lobby")
    if not entry then error(err) end
    return entry.data
end

local function broadcast(topic: string, body)
    for pid in pairs(members) do process.send(pid, topic, body) end
end

local function handle(msg)
    local body = msg:payload()
    local request = body and body:data() or {}
    local from = msg:from()
    local room = settings()
    if msg:topic() == "join" then
        if count >= room.max_members then
            process.send(from, "refused", room.title .. " is full (" .. room.max_members .. " members)")
        else
            members[from] = request.nick
            count = count + 1
            process.send(from, "welcome", room.title)
            events.send("chat", "member.joined", "/rooms/lobby", {nick = request.nick})
        end
    elseif msg:topic() == "post" and members[from] then
        local banned = false
        for _, word in ipairs(room.banned or {}) do
            if string.find(request.text, word, 1, true) then banned = true end
        end
        if banned then
            process.send(from, "rejected", request.text)
            events.send("chat", "message.rejected", "/rooms/lobby", {nick = members[from], text = request.text})
        else
            broadcast("said", {nick = members[from], text = request.text})
            events.send("chat", "message.posted", "/rooms/lobby", {nick = members[from], text = request.text})
        end
    elseif msg:topic() == "close" then
        broadcast("closed", {})
        events.send("chat", "room.closed", "/rooms/lobby")
        process.send(from, "closed", count)
        members, count = {}, 0
    end
end

local function main()
    process.registry.register("lobby")
    local inbox = process.inbox()
    local lifecycle = process.events()
    while true do
        local next = channel.select({inbox:case_receive(), lifecycle:case_receive()})
        if next.channel == inbox then
            handle(next.value)
        elseif next.value.kind == process.event.CANCEL then
            return  -- the service is stopping
        end
    end
end

return { main = main }
