local queue = require("queue")
local store = require("store")

local M = {}

-- Sums a task's values; the first attempt at every fifth task fails and the queue delivers it again.
function M.process_task(task: {id: integer, values: {integer}, reply: string}): boolean
    local results = store.get("app:results")
    local attempt = results:put("attempt:" .. task.id, true, {only_if_absent = true})
    if task.id % 5 == 0 and attempt then
        error("worker crashed on task " .. task.id)
    end
    if not attempt then results:set("retried:" .. task.id, true) end
    local msg = queue.message()
    local sum = 0
    for _, v in ipairs(task.values) do sum = sum + v end
    results:set(string.format("task:%03d", task.id), {id = task.id, sum = sum, from = msg:header("from")})
    process.send(task.reply, "done", task.id)
    return true
end

-- A "slow" computation cached for `ttl` seconds.
function M.lookup(key: string, ttl: number): {value: string, cached: boolean}
    local cache = store.get("app:cache")
    local hit = cache:get(key)
    if hit then return {value = hit, cached = true} end
    local value = string.upper(key)
    cache:set(key, value, ttl)
    return {value = value, cached = false}
end

return M
