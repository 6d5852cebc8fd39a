-- The workloads of shared/bench/sql from Lua through the `sql` module; sends back `name value unit` lines
-- with the metric names of that README prefixed `lua_`.
local sql = require("sql")
local time = require("time")

local PAYLOAD = "payload 0123456789abcdef0123456789abcdef"

local function fmt(name, value, unit)
    return string.format("%s %.0f %s", name, value, unit)
end

local function must(value, err)
    if err then error(tostring(err)) end
    return value
end

-- Runs `body(i)` until `secs` seconds have passed; the operations per second.
local function rate(secs, body)
    local start = time.now()
    local n = 0
    while true do
        for _ = 1, 64 do
            n = n + 1
            body(n)
        end
        local elapsed = time.now():sub(start):seconds()
        if elapsed >= secs then return n / elapsed end
    end
end

-- `modes`: the insert phases after the point selects (nil: NORMAL then FULL); `no_select` skips the selects;
-- `select_count` runs that many point selects instead of timing them (for instruction counts).
local function sqlite(secs, modes, no_select, select_count)
    local db = must(sql.get("sqlbench:sqlite"))
    must(db:execute("DROP TABLE IF EXISTS t"))
    must(db:execute("DROP TABLE IF EXISTS ins"))
    must(db:execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    must(db:execute("CREATE TABLE ins(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL)"))
    local tx = must(db:begin())
    for id = 1, 10000 do must(tx:execute("INSERT INTO t(id, v) VALUES (?, ?)", {id, "row " .. id .. " " .. PAYLOAD})) end
    must(tx:commit())
    must(db:execute("PRAGMA wal_checkpoint(TRUNCATE)"))
    local seed = 12345
    local lines = {}
    if not no_select then
        local function select()
            seed = (seed * 1103515245 + 12345) % 2147483648
            local rows = db:query("SELECT v FROM t WHERE id = ?", {seed % 10000 + 1})
            if not rows or not rows[1] then error("point select found nothing") end
        end
        if select_count then
            for _ = 1, select_count do select() end
            lines[#lines + 1] = fmt("lua_sqlite_point_select_count", select_count, "statements")
        else
            lines[#lines + 1] = fmt("lua_sqlite_point_select_per_s", rate(secs, select), "ops/s")
        end
    end
    for _, mode in ipairs(modes or {"NORMAL", "FULL"}) do
        must(db:execute("PRAGMA synchronous=" .. mode))
        local insert_rate = rate(secs, function(i)
            must(db:execute("INSERT INTO ins(k, v) VALUES (?, ?)", {i, PAYLOAD}))
        end)
        lines[#lines + 1] = fmt("lua_sqlite_insert_" .. string.lower(mode) .. "_per_s", insert_rate, "ops/s")
    end
    must(db:execute("DROP TABLE t"))
    must(db:execute("DROP TABLE ins"))
    db:release()
    return lines
end

-- One PostgreSQL statement of the workload `what` (a point select or a one-row insert), keyed by the next
-- value of the client's pseudo-random `seed`; returns that value.
local function pg_statement(db, what, seed)
    seed = (seed * 1103515245 + 12345) % 2147483648
    if what == "select" then
        local rows = must(db:query("SELECT abalance FROM pgbench_accounts WHERE aid = $1", {seed % 100000 + 1}))
        if not rows[1] then error("select found nothing") end
    else
        must(db:execute("INSERT INTO ins(k, v) VALUES ($1, $2)", {seed, PAYLOAD}))
    end
    return seed
end

-- One PostgreSQL client: `what` for `secs` seconds; sends its count and time to `reply_to`.
local function client(reply_to, what, secs, seed)
    local db, err = sql.get("sqlbench:pg")
    if not db then process.send(reply_to, "error", tostring(err)) return end
    local ok, result = pcall(function()
        local start = time.now()
        local n = 0
        while true do
            for _ = 1, 16 do
                n = n + 1
                seed = pg_statement(db, what, seed)
            end
            local elapsed = time.now():sub(start):seconds()
            if elapsed >= secs then return {n, elapsed} end
        end
    end)
    if ok then process.send(reply_to, "done", result) else process.send(reply_to, "error", tostring(result)) end
end

-- `clients` processes doing `what` at once; the total transactions per second.
local function clients(what, count, secs)
    for c = 1, count do
        process.spawn("sqlbench:client", "sqlbench:processes", process.pid(), what, secs, 7919 * c)
    end
    local total, longest = 0, 0
    local inbox = process.inbox()
    for _ = 1, count do
        local msg = inbox:receive()
        if msg:topic() == "error" then error(msg:payload():data()) end
        local r = msg:payload():data()
        total = total + r[1]
        if r[2] > longest then longest = r[2] end
    end
    return total / longest
end

local function pg(secs)
    local db = must(sql.get("sqlbench:pg"))
    must(db:query("SELECT 1"))
    db:release()
    return {
        fmt("lua_pg_select_1c_tps", clients("select", 1, secs), "tps"),
        fmt("lua_pg_select_8c_tps", clients("select", 8, secs), "tps"),
        fmt("lua_pg_insert_1c_tps", clients("insert", 1, secs), "tps"),
    }
end

-- `count` PostgreSQL point selects (or inserts) in this process, for instruction counts under callgrind: the
-- difference of two counts is the cost per statement. The `secs` argument is the count here.
local function pg_count(what, count)
    local db = must(sql.get("sqlbench:pg"))
    local seed = 7919
    for _ = 1, count do
        seed = pg_statement(db, what, seed)
    end
    db:release()
    return {fmt("lua_pg_" .. what .. "_count", count, "statements")}
end

-- `count` single-row SQLite inserts with synchronous=FULL, for instruction counts (as pg_count).
local function sqlite_full_count(count)
    local db = must(sql.get("sqlbench:sqlite"))
    must(db:execute("DROP TABLE IF EXISTS ins"))
    must(db:execute("CREATE TABLE ins(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL)"))
    must(db:execute("PRAGMA synchronous=FULL"))
    for i = 1, count do must(db:execute("INSERT INTO ins(k, v) VALUES (?, ?)", {i, PAYLOAD})) end
    must(db:execute("DROP TABLE ins"))
    db:release()
    return {fmt("lua_sqlite_insert_full_count", count, "statements")}
end

-- sqlite_select: the point selects alone (for profiling); sqlite_inserts: the inserts alone (ditto); sqlite_full: the FULL inserts alone (A/B runs); sqlite_select_n: a fixed count of point selects (instruction counts); pg_select_n / pg_insert_n: a fixed count (ditto)
local groups = {
    sqlite = sqlite, pg = pg, sqlite_select = function(secs) return sqlite(secs, {}) end,
    sqlite_inserts = function(secs) return sqlite(secs, nil, true) end,
    sqlite_full = function(secs) return sqlite(secs, {"FULL"}, true) end,
    sqlite_full_n = sqlite_full_count,
    sqlite_select_n = function(count) return sqlite(0, {}, false, count) end,
    pg_select_n = function(count) return pg_count("select", count) end,
    pg_insert_n = function(count) return pg_count("insert", count) end,
}

local function main(reply_to, group, secs)
    local run = groups[group]
    if not run then
        process.send(reply_to, "error", "unknown workload group " .. tostring(group))
        return
    end
    local ok, lines = pcall(run, secs)
    if ok then
        process.send(reply_to, "lines", lines)
    else
        process.send(reply_to, "error", tostring(lines))
    end
end

return { main = main, client = client }
