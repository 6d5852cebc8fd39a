-- A chat member: joins, posts its lines one by one as the driver says "go", and reports what it heard.
local function main(driver: string, nick: string, lines: {string})
    local inbox = process.inbox()
    local room = process.registry.lookup("lobby")
    process.send(room, "join", {nick = nick})
    local reply = inbox:receive()
    if reply:topic() == "refused" then
        process.send(driver, "refused", {nick = nick, reason = reply:payload():data()})
        return
    end
    process.send(driver, "joined", {nick = nick, room = reply:payload():data()})
    local heard, posted = {}, 0
    while true do
        local msg = inbox:receive()
        local topic = msg:topic()
        if topic == "go" then
            posted = posted + 1
            process.send(room, "post", {text = lines[posted]})
        elseif topic == "said" then
            local said = msg:payload():data()
            heard[#heard + 1] = said.nick .. ": " .. said.text
            process.send(driver, "heard", {nick = nick, line = said.nick .. ": " .. said.text})
        elseif topic == "rejected" then
            process.send(driver, "heard", {nick = nick, line = "(rejected) " .. msg:payload():data()})
        elseif topic == "closed" then
            process.send(driver, "left", {nick = nick, heard = #heard})
            return
        end
    end
end

return { main = main }
