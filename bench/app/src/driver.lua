-- Runs one workload, doing the same work as the Erlang program of the same name in shared/bench/erlang,
-- and sends back `name value unit` lines.
local time = require("time")
local system = require("system")
local registry = require("registry")

local HOST = "bench:processes"

local function seconds_since(start): number
    return time.now():sub(start):seconds()
end

local function fmt(name: string, value: number, unit: string): string
    if math.type(value) == "integer" then return string.format("%s %d %s", name, value, unit) end
    return string.format("%s %.4f %s", name, value, unit)
end

local workloads = {}

-- spawn N processes that each send one message and end; collect all (after a warm-up round). Then the
-- memory of N processes blocked in receive: resident set after / before, per process.
function workloads.spawn_wait(n: integer?): {string}
    n = n or 100000
    local me = process.pid()
    local inbox = process.inbox()
    local function round()
        for _ = 1, n do process.spawn("bench:child", HOST, me) end
        for _ = 1, n do inbox:receive() end
    end
    round()
    local start = time.now()
    round()
    local secs = seconds_since(start)
    system.gc.collect()
    local before = system.memory.stats().rss
    for _ = 1, n do process.spawn("bench:idle", HOST, me) end
    for _ = 1, n do inbox:receive() end
    system.gc.collect()
    local after = system.memory.stats().rss
    return {
        fmt("spawn_wait_total", secs, "s"),
        fmt("spawn_wait_rate", math.floor(n / secs), "procs/s"),
        fmt("spawn_wait_per_proc", secs * 1e6 / n, "us"),
        fmt("idle_proc_mem", (after - before) // n, "bytes"),
    }
end

-- The partner run.lua spawned for a cross-thread variant (see there).
local function partner(): string
    return process.inbox():receive():payload():data()
end

-- M processes in a ring (M-1 relays and this one) pass a token K times around; `head` is the first relay
-- when they were spawned elsewhere, else the relays are spawned here (children stay on this worker).
local function ring(m: integer?, k: integer?, name: string, head: string?): {string}
    m = m or 1000
    k = k or 1000
    if not head then
        local next_pid = process.pid()
        for _ = 1, m - 1 do next_pid = process.spawn("bench:relay", HOST, next_pid) end
        head = next_pid
    end
    local inbox = process.inbox()
    local function rounds(count: integer)
        for _ = 1, count do
            process.send(head, "token")
            inbox:receive()
        end
    end
    rounds(10)
    local start = time.now()
    rounds(k)
    local secs = seconds_since(start)
    return { fmt(name, math.floor(m * k / secs), "msgs/s") }
end

function workloads.ring(m: integer?, k: integer?): {string}
    return ring(m, k, "ring_msgs", nil)
end

-- The same ring with every hop crossing threads: run.lua spawned the relays alternately on the two workers.
function workloads.ring_far(m: integer?, k: integer?): {string}
    return ring(m, k, "ring_far_msgs", partner())
end

-- request/reply with another process (`pong`, or one spawned here), N round trips (after 10 000 for warm-up)
local function pingpong(n: integer?, name: string, pong: string?): {string}
    n = n or 1000000
    pong = pong or process.spawn("bench:pong", HOST)
    local inbox = process.inbox()
    local function trips(count: integer)
        for _ = 1, count do
            process.send(pong, "ping")
            inbox:receive()
        end
    end
    trips(10000)
    local start = time.now()
    trips(n)
    local secs = seconds_since(start)
    process.send(pong, "stop")
    return { fmt(name, math.floor(n / secs), "rt/s") }
end

function workloads.pingpong(n: integer?): {string}
    return pingpong(n, "pingpong_roundtrips", nil)
end

-- The same with the partner on the other worker (run.lua spawned it there).
function workloads.pingpong_far(n: integer?): {string}
    return pingpong(n, "pingpong_far_roundtrips", partner())
end

-- P processes each sleeping 1, 2, ..., 10 ms in turn; wall time including spawning (ideal 55 ms)
function workloads.timers(p: integer?): {string}
    p = p or 10000
    local me = process.pid()
    local inbox = process.inbox()
    local start = time.now()
    for _ = 1, p do process.spawn("bench:sleeper", HOST, me) end
    local sum, max = 0, 0
    for _ = 1, p do
        local ms = inbox:receive():payload():data()
        sum = sum + ms
        if ms > max then max = ms end
    end
    local wall = time.now():sub(start):milliseconds()
    return {
        fmt("timers_wall", wall, "ms"),
        fmt("timers_ideal", 55, "ms"),
        fmt("timers_proc_mean", sum / p, "ms"),
        fmt("timers_proc_max", max, "ms"),
    }
end

-- spawn and end a million processes in batches; memory before and after (after a full collection)
function workloads.churn(total: integer?): {string}
    total = total or 1000000
    local batch = 10000
    local me = process.pid()
    local inbox = process.inbox()
    local function wave()
        for _ = 1, batch do process.spawn("bench:child", HOST, me) end
        for _ = 1, batch do inbox:receive() end
    end
    wave()
    system.gc.collect()
    local before = system.memory.stats()
    local start = time.now()
    for _ = 1, total // batch do wave() end
    local secs = seconds_since(start)
    system.gc.collect()
    local after = system.memory.stats()
    return {
        fmt("churn_rate", math.floor(total / secs), "procs/s"),
        fmt("churn_rss_delta", after.rss - before.rss, "bytes"),
        fmt("churn_lua_delta", after.lua_bytes - before.lua_bytes, "bytes"),
    }
end

-- registry.find on a registry of n entries (default 10 000, made with one changeset): microseconds per
-- find, median of repeated runs. "cached" repeats a query on the unchanged registry (the finder's result
-- cache answers); "uncached" runs the same query on a past snapshot, which the cache never holds.
function workloads.registry_find(n: integer?): {string}
    n = n or 10000
    local changes = registry.snapshot():changes()
    for i = 1, n do
        changes:create({
            id = "bench.items:item" .. i, kind = "registry.entry",
            meta = {group = "g" .. (i % 100), name = "item" .. i},
        })
    end
    local version, err = changes:apply()
    if err then error(err) end
    local past = registry.snapshot_at(version:id())
    local function median(list: {number}): number
        table.sort(list)
        return list[(#list + 1) // 2]
    end
    -- median microseconds per call of find(query) over `runs` runs of `calls` calls
    local function measure(find, query, calls: integer, runs: integer): (number, integer)
        local samples = {}
        local count = 0
        for r = 1, runs do
            local start = time.now()
            for _ = 1, calls do count = #find(query) end
            samples[r] = seconds_since(start) * 1e6 / calls
        end
        return median(samples), count
    end
    local function live(query) return registry.find(query) end
    local function uncached(query) return past:find(query) end
    local queries = {
        {"kind", {[".kind"] = "registry.entry", [".ns"] = "bench.items"}, 5},
        {"meta", {["meta.group"] = "g7"}, 50},
        {"meta_prefix", {["^meta.name"] = "item99"}, 50},
    }
    local lines = {}
    for _, q in ipairs(queries) do
        local name, query, calls = q[1], q[2], q[3]
        local cold, matches = measure(uncached, query, calls, 9)
        local warm = measure(live, query, calls, 9)
        lines[#lines + 1] = fmt("registry_find_" .. name .. "_us", cold, "us")
        lines[#lines + 1] = fmt("registry_find_" .. name .. "_cached_us", warm, "us")
        lines[#lines + 1] = fmt("registry_find_" .. name .. "_matches", matches, "entries")
    end
    return lines
end

-- time from apply() of a one-entry changeset to its `entry.*` event reaching a subscriber in another
-- process (which notes the time it got it); median and p90 over n applies, alternating create and delete;
-- first on the bench app's registry (a few dozen entries), then with `size` more entries in it.
function workloads.registry_event(n: integer?, size: integer?): {string}
    n = n or 500
    size = size or 10000
    local inbox = process.inbox()
    local function measure(): (number, number)
        -- a fresh subscriber each time: it must not have the filler's burst of events to work through
        local subscriber = process.spawn("bench:event_subscriber", HOST, process.pid())
        inbox:receive()  -- subscribed
        local samples = {}
        for i = 1, n do
            local changes = registry.snapshot():changes()
            if i % 2 == 1 then
                changes:create({id = "bench.events:probe", kind = "registry.entry", meta = {n = i}})
            else
                changes:delete("bench.events:probe")
            end
            local start = time.now():unix_nano()
            local _, err = changes:apply()
            if err then error(err) end
            local got = inbox:receive():payload():data()
            samples[i] = (got - start) / 1000
        end
        process.terminate(subscriber)
        table.sort(samples)
        return samples[(n + 1) // 2], samples[math.ceil(n * 0.9)]
    end
    local small, small_p90 = measure()
    local filler = registry.snapshot():changes()
    for i = 1, size do filler:create({id = "bench.filler:e" .. i, kind = "registry.entry", meta = {i = i}}) end
    local _, err = filler:apply()
    if err then error(err) end
    local large, large_p90 = measure()
    return {
        fmt("registry_event_us", small, "us"),
        fmt("registry_event_p90_us", small_p90, "us"),
        fmt("registry_event_" .. size .. "_us", large, "us"),
        fmt("registry_event_" .. size .. "_p90_us", large_p90, "us"),
    }
end

-- fib(n) in a process (bench:fib, from fib.lua), from spawn to its answer, best of `runs`; bench/run.sh then
-- runs the same file in the stock lua5.4 interpreter, timed the same way (compute_fib<n>_lua_ms).
function workloads.compute(n: integer?, runs: integer?): {string}
    n = n or 30
    runs = runs or 5
    local inbox = process.inbox()
    local best = math.huge
    for _ = 1, runs do
        local start = time.now()
        process.spawn("bench:fib", HOST, process.pid(), n)
        inbox:receive()
        best = math.min(best, seconds_since(start))
    end
    return { string.format("compute_fib%d_ms %.1f ms", n, best * 1000) }
end

local function main(reply_to: string, workload: string, a: integer?, b: integer?)
    local run = workloads[workload]
    if not run then
        process.send(reply_to, "error", "unknown workload " .. tostring(workload))
        return
    end
    local ok, lines = pcall(run, a, b)
    if not ok then
        process.send(reply_to, "error", tostring(lines))
        return
    end
    process.send(reply_to, "result", lines)
end

return { main = main }
