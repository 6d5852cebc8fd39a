-- Periodic jobs discovered from `registry.entry` data: the jobs present at start are found with
-- registry.find; jobs created later are started when their registry event arrives, and a deleted
-- job is cancelled.
local io = require("io")
local registry = require("registry")
local events = require("events")

local running = {}   -- job id -> pid
local log = {}       -- lines, printed sorted at the end (jobs run concurrently)

local function start(entry)
    local pid = process.spawn("app:job", "app:processes", process.pid(), entry.id, entry.data.every, entry.data.times or 0)
    running[entry.id] = pid
end

local function change(ops)
    local changes = registry.snapshot():changes()
    for _, op in ipairs(ops) do
        if op[1] == "create" then changes:create(op[2]) else changes:delete(op[2]) end
    end
    local version, err = changes:apply()
    if not version then error(err) end
    return version
end

local function main(): integer
    local inbox = process.inbox()
    local sub, err = events.subscribe("registry", "entry.(create|delete)")
    if not sub then error(err) end
    local found = registry.find({[".kind"] = "registry.entry", ["meta.type"] = "job"})
    table.sort(found, function(a, b) return a.id < b.id end)
    local names = {}
    for _, entry in ipairs(found) do
        names[#names + 1] = entry.id
        start(entry)
    end
    io.print("found " .. #found .. " jobs: " .. table.concat(names, ", "))

    -- Someone adds two jobs at runtime: a short one and one that runs until it is deleted.
    local version = change({
        {"create", {id = "app:jobs.cleanup", kind = "registry.entry", meta = {type = "job"}, data = {every = "5ms", times = 4}}},
        {"create", {id = "app:jobs.forever", kind = "registry.entry", meta = {type = "job"}, data = {every = "5ms"}}},
    })
    io.print("added 2 jobs at " .. version:string())

    local finished, deleted = 0, false
    local feed = sub:channel()
    while finished < 4 do
        local result = channel.select({feed:case_receive(), inbox:case_receive()})
        if result.channel == feed then
            local event = result.value
            local entry = event.data
            if event.kind == "entry.create" and entry.meta and entry.meta.type == "job" then
                start(entry)
                log[#log + 1] = "started " .. entry.id .. " from its registry event"
            elseif event.kind == "entry.delete" and running[event.path] then
                process.cancel(running[event.path])
                log[#log + 1] = "cancelled " .. event.path .. " after its entry was deleted"
            end
        else
            local msg = result.value
            local report = msg:payload():data()
            local id, runs = report.id, report.runs
            if msg:topic() == "tick" and id == "app:jobs.forever" and runs == 3 and not deleted then
                deleted = true
                change({{"delete", "app:jobs.forever"}})
            elseif msg:topic() == "finished" then
                finished = finished + 1
                log[#log + 1] = id .. " finished after " .. runs .. " runs"
            elseif msg:topic() == "stopped" then
                finished = finished + 1
                log[#log + 1] = id .. " stopped after " .. (runs >= 3 and "3 or more" or tostring(runs)) .. " runs"
            end
        end
    end
    sub:close()
    table.sort(log)
    for _, line in ipairs(log) do io.print(line) end
    return 0
end

return { main = main }
