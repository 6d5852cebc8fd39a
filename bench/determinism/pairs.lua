local function make(n, kind)
  local t = {}
  for i = 1, n do
    if kind == "string" then t["key" .. i] = i
    elseif kind == "array" then t[i] = i
    else if i % 2 == 0 then t["k" .. i] = i else t[i * 7] = i end end
  end
  return t
end
local function time(label, f, reps)
  local start = os.clock()
  for _ = 1, reps do f() end
  local us = (os.clock() - start) / reps * 1e6
  return us
end
for _, kind in ipairs({"string", "array", "mixed"}) do
  local t = make(1000, kind)
  local reps = 2000
  local stock = time("stock", function() local s = 0 for k, v in pairs(t) do s = s + v end end, reps)
  local det = time("det", function() local s = 0 for k, v in dpairs(t) do s = s + v end end, reps)
  local dnext = kind == "array" and time("dnext", function() local k, v = dnext(t) while k do k, v = dnext(t, k) end end, reps) or time("dnext", function() local k, v = dnext(t) while k do k, v = dnext(t, k) end end, 5)
  print(string.format("%-6s 1000 keys: stock pairs %.1f us, deterministic pairs %.1f us (x%.1f), deterministic next-walk %.1f us", kind, stock, det, det / stock, dnext))
end
