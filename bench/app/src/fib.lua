-- Compute: naive recursive fib(n). The same file runs in a process (bench:fib, the `compute` workload) and in
-- the stock lua5.4 interpreter (bench/compute.py), so that the two times compare Lua speed alone.
local function fib(n)
    if n < 2 then return n end
    return fib(n - 1) + fib(n - 2)
end

-- bench:fib: computes fib(n) and sends it to the parent
local function main(parent, n)
    process.send(parent, "done", fib(n))
end

return { main = main, fib = fib }
