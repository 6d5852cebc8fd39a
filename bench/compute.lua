-- The `compute` workload's other half: runs fib from bench/app/src/fib.lua (the file bench:fib runs) in the
-- stock interpreter, best of `runs`, and prints it as compute_fib<n>_lua_ms.
--   lua5.4 bench/compute.lua bench/app/src/fib.lua 30 5
local file, n, runs = arg[1], tonumber(arg[2] or "30"), tonumber(arg[3] or "5")
local fib = dofile(file).fib
local best = math.huge
for _ = 1, runs do
    local start = os.clock()
    fib(n)
    best = math.min(best, os.clock() - start)
end
print(string.format("compute_fib%d_lua_ms %.1f ms", n, best * 1000))
