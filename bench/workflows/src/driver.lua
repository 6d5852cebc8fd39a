-- The workloads of shared/bench/workflows on the embedded engine; sends back `name value unit` lines
-- with the unprefixed metric names of that README.
local time = require("time")
local system = require("system")

local HOST = "wfbench:workflows"
local EVICTING = "wfbench:evicting"

local function seconds_since(start): number
    return time.now():sub(start):seconds()
end

local function fmt(name: string, value: number, unit: string): string
    if math.type(value) == "integer" then return string.format("%s %d %s", name, value, unit) end
    return string.format("%s %.4f %s", name, value, unit)
end

-- Waits for `n` EXIT events of monitored workflows; fails on an error exit.
local function await_exits(n: integer)
    local events = process.events()
    for _ = 1, n do
        local event = events:receive()
        if event.result and event.result.error then error("workflow failed: " .. tostring(event.result.error)) end
    end
end

local workloads = {}

-- start a 1-step workflow and wait for its result: median of 200 after 20 warm-up
function workloads.latency(n: integer?): {string}
    n = n or 200
    local samples = {}
    for i = 1, n + 20 do
        local start = time.now()
        process.spawn_monitored("wfbench:one", HOST, i)
        await_exits(1)
        if i > 20 then table.insert(samples, seconds_since(start) * 1000) end
    end
    table.sort(samples)
    local p99 = samples[math.max(1, math.floor(#samples * 0.99))]
    return {
        fmt("wf_start_latency_ms", samples[(#samples + 1) // 2], "ms"),
        fmt("wf_start_latency_p99_ms", p99, "ms"),
    }
end

-- one workflow, 1000 sequential steps
function workloads.seq(n: integer?): {string}
    n = n or 1000
    process.spawn_monitored("wfbench:steps", HOST, 10)
    await_exits(1)
    local start = time.now()
    process.spawn_monitored("wfbench:steps", HOST, n)
    await_exits(1)
    local secs = seconds_since(start)
    return {
        fmt("wf_seq_steps_per_s", n / secs, "steps/s"),
        fmt("wf_seq_step_ms", secs * 1000 / n, "ms"),
    }
end

-- `n` workflows of `steps` sequential steps started by 50 starters at once (so the starts' commits group
-- like the steps' do; a start returns once it is durable); the seconds until all are done
local function run_concurrent(n: integer, steps: integer): number
    local starters = math.min(50, n)
    local me = process.pid()
    local inbox = process.inbox()
    local start = time.now()
    for i = 1, starters do
        local count = n // starters + (i <= n % starters and 1 or 0)
        process.spawn("wfbench:starter", "wfbench:processes", me, count, steps)
    end
    for _ = 1, starters do
        local msg = inbox:receive()
        if msg:topic() ~= "done" then error(tostring(msg:payload():data())) end
    end
    return seconds_since(start)
end

-- 1000 workflows of 10 sequential steps started together. A warm-up round of 50 first, not counted: the
-- anchors measure this in a process that has already run the latency and sequential workloads.
function workloads.concurrent(n: integer?, steps: integer?): {string}
    n = n or 1000
    steps = steps or 10
    run_concurrent(math.min(50, n), steps)
    local secs = run_concurrent(n, steps)
    return { fmt("wf_concurrent_steps_per_s", n * steps / secs, "steps/s") }
end

-- park N workflows in a 1 h durable sleep; resident set growth per workflow
function workloads.park(n: integer?): {string}
    n = n or 10000
    -- warm the host's workers first
    process.spawn_monitored("wfbench:one", HOST, 1)
    await_exits(1)
    system.gc.collect()
    local before = system.memory.stats().rss
    local start = time.now()
    for _ = 1, n do
        local pid, err = process.spawn("wfbench:sleeper", HOST)
        if not pid then error(tostring(err)) end
    end
    local secs = seconds_since(start)
    system.gc.collect()
    local after = system.memory.stats().rss
    return {
        fmt("wf_sleeping_rss_per_wf_bytes", (after - before) // n, "bytes"),
        fmt("wf_sleeping_park_s", secs, "s"),
    }
end

-- park N workflows in a 1 h durable sleep on a host that evicts parked runs (evict_after: 200ms), in
-- batches, each waited for until its runs have left memory (the live process count is back to where it
-- was): what a parked run costs once evicted
function workloads.evicted(n: integer?, batch: integer?): {string}
    n = n or 100000
    batch = batch or 5000
    process.spawn_monitored("wfbench:one", EVICTING, 1)
    await_exits(1)
    system.gc.collect()
    local baseline = system.runtime.goroutines()
    local before = system.memory.stats().rss
    local start = time.now()
    local started = 0
    while started < n do
        local count = math.min(batch, n - started)
        for _ = 1, count do
            local pid, err = process.spawn("wfbench:sleeper", EVICTING)
            if not pid then error(tostring(err)) end
        end
        started = started + count
        while system.runtime.goroutines() > baseline do time.sleep("20ms") end
    end
    local secs = seconds_since(start)
    system.gc.collect()
    local after = system.memory.stats().rss
    return {
        fmt("wf_evicted_rss_per_wf_bytes", (after - before) // n, "bytes"),
        fmt("wf_evicted_park_s", secs, "s"),
        fmt("wf_evicted_n", n, "workflows"),
    }
end

local function main(reply_to: string, workload: string, a: number?, b: number?)
    local run = workloads[workload]
    if not run then
        process.send(reply_to, "error", "unknown workload " .. workload)
        return
    end
    local ok, lines = pcall(run, a and math.tointeger(a), b and math.tointeger(b))
    if ok then
        process.send(reply_to, "lines", lines)
    else
        process.send(reply_to, "error", tostring(lines))
    end
end

-- Starts `count` workflows of `steps` steps, waits for them all, tells `driver`.
local function starter(driver: string, count: integer, steps: integer)
    for _ = 1, count do
        local pid, err = process.spawn_monitored("wfbench:steps", HOST, steps)
        if not pid then process.send(driver, "error", tostring(err)) return end
    end
    local ok, err = pcall(await_exits, count)
    if ok then process.send(driver, "done") else process.send(driver, "error", tostring(err)) end
end

-- The recovery workload's starter: N workflows of 20 steps (ids rec-1..rec-N, idempotent on restart).
local function start_recovery(n: integer?)
    local logger = require("logger")
    n = n or 100
    for i = 1, n do
        local id = "rec-" .. i
        local pid, err = process.with_options({["temporal.workflow.id"] = id}):spawn("wfbench:recovering", HOST, id)
        if not pid then logger:error("start " .. id .. ": " .. tostring(err)) end
    end
    logger:info("wfstarted " .. n)
    process.inbox():receive()
end

return { main = main, start_recovery = start_recovery, starter = starter }
