-- Background jobs: `start` spawns a worker process and answers 202 with its PID at once; the worker
-- records its progress in the `app:progress` store, which `status` reads. With `hold=1` the worker stops before
-- its last step until `release` sends it a message, so a client can see the work in progress whatever the
-- machine's load. (The worker's entry has no `http` module, so each function requires what it uses.)
local store = require("store")

local function start()
    local http = require("http")
    local process = require("process")
    local uuid = require("uuid")
    local req, res = http.request(), http.response()
    local steps = tonumber(req:query("steps") or "5")
    if not steps or steps < 1 or steps > 100 then
        res:set_status(http.STATUS.BAD_REQUEST)
        res:write_json({error = "steps must be from 1 to 100"})
        return
    end
    local hold = req:query("hold") == "1"
    local job = uuid.v4()
    local progress = assert(store.get("app:progress"))
    assert(progress:set(job, {state = "queued", done = 0, steps = steps}))
    local pid, err = process.spawn("app:job.worker", "app:processes", job, math.tointeger(steps), hold)
    if not pid then error(err) end
    res:set_header("Location", "/api/jobs/" .. job)
    res:set_status(http.STATUS.ACCEPTED)
    res:write_json({job = job, pid = tostring(pid)})
end

local function work(job, steps, hold)
    local time = require("time")
    local process = require("process")
    local progress = assert(store.get("app:progress"))
    local me = tostring(process.pid())
    for done = 1, steps do
        if hold and done == steps then
            assert(progress:set(job, {state = "held", done = done - 1, steps = steps, pid = me}))
            process.inbox():receive()
        end
        time.sleep("100ms")
        assert(progress:set(job, {state = done == steps and "done" or "running", done = done, steps = steps, pid = me}))
    end
    return 0
end

local function status()
    local http = require("http")
    local req, res = http.request(), http.response()
    local progress = assert(store.get("app:progress"))
    local value = progress:get(req:param("job"))
    if not value then
        res:set_status(http.STATUS.NOT_FOUND)
        res:write_json({error = "no such job"})
        return
    end
    return value
end

local function release()
    local http = require("http")
    local process = require("process")
    local req, res = http.request(), http.response()
    local progress = assert(store.get("app:progress"))
    local value = progress:get(req:param("job"))
    if not value or value.state ~= "held" then
        res:set_status(http.STATUS.CONFLICT)
        res:write_json({error = "the job is not held"})
        return
    end
    process.send(value.pid, "release")
    return {released = true}
end

return {start = start, work = work, status = status, release = release}
