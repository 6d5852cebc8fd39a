-- Drives a conversation in the lobby: members join (one is refused until the registry entry is
-- changed), post in turn, and a transcript is taken from the event bus.
local io = require("io")
local registry = require("registry")
local events = require("events")
local time = require("time")

local function expect(inbox, topic: string)
    local msg = inbox:receive()
    if msg:topic() ~= topic then error("expected " .. topic .. ", got " .. msg:topic()) end
    return msg:payload():data()
end

local function main(): integer
    local inbox = process.inbox()
    local transcript = events.subscribe("chat", "(member|message|room).*")
    while not process.registry.lookup("lobby") do time.sleep("5ms") end

    local function join(nick: string, lines: {string})
        local pid = process.spawn("app:member", "app:processes", process.pid(), nick, lines)
        local msg = inbox:receive()
        local data = msg:payload():data()
        if msg:topic() == "refused" then io.print(nick .. " refused: " .. data.reason)
        else io.print(nick .. " joined " .. data.room) end
        return pid, msg:topic() == "joined"
    end

    local alice = join("alice", {"hello", "buy cheap spam", "bye"})
    local bob = join("bob", {"hi alice"})
    local carol, ok = join("carol", {"late again"})

    -- Make room: the registry entry is the room's configuration.
    local entry = registry.get("app:rooms.lobby")
    entry.data.max_members = 3
    entry.data.title = "Big Lobby"
    local version, err = registry.snapshot():changes():update(entry):apply()
    if not version then error(err) end
    io.print("lobby resized at " .. version:string())
    carol, ok = join("carol", {"late again"})

    -- Everyone posts in turn; wait until each line reached all three members before the next one.
    local order = {{alice, 1}, {bob, 1}, {alice, 2}, {carol, 1}, {alice, 3}}
    for _, turn in ipairs(order) do
        process.send(turn[1], "go")
        local heard = 0
        while heard < 3 do
            local report = expect(inbox, "heard")
            if string.sub(report.line, 1, 10) == "(rejected)" then
                io.print(report.nick .. " was told " .. report.line)
                heard = 3
            else
                heard = heard + 1
            end
        end
    end

    local room = process.registry.lookup("lobby")
    process.send(room, "close")
    local left = {}
    for _ = 1, 4 do
        local msg = inbox:receive()
        local data = msg:payload():data()
        if msg:topic() == "left" then left[#left + 1] = data.nick .. " left after hearing " .. data.heard .. " lines" end
    end
    table.sort(left)
    for _, line in ipairs(left) do io.print(line) end

    io.print("transcript:")
    local feed = transcript:channel()
    while true do
        local event = feed:receive()
        local data = event.data or {}
        local line = "  " .. event.kind
        if data.nick then line = line .. " " .. data.nick end
        if data.text then line = line .. ": " .. data.text end
        io.print(line)
        if event.kind == "room.closed" then break end
    end
    transcript:close()
    return 0
end

return { main = main }
