-- GET /v1/products/{id} with an API key, a tenant picked per request.
-- PRODUCTS_FILE names a Lua file returning {{api_key, product_id}, ...}
-- (written by bench/lib/servers.py or bench/lib/peers.py).
-- PICK: "uniform" (default) picks any entry with the same probability;
-- "zipf" picks entry k (1-based) with probability proportional to 1/k^ZIPF_S,
-- so a few tenants are hot and most are cold, as in real multi-tenant traffic.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local targets = dofile(os.getenv("PRODUCTS_FILE"))
local pick = os.getenv("PICK") or "uniform"
local requests = {}
local cdf = {}

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
end

function init(args)
  -- Each wrk thread its own sequence of tenants.
  math.randomseed(os.time() * 100 + (thread_index or 0))
  for i, t in ipairs(targets) do
    requests[i] = wrk.format("GET", "/v1/products/" .. t[2], { ["Authorization"] = "Bearer " .. t[1] })
  end
  if pick == "zipf" then
    local s = tonumber(os.getenv("ZIPF_S") or "1.1")
    local sum = 0
    for k = 1, #requests do
      sum = sum + 1 / k ^ s
      cdf[k] = sum
    end
    for k = 1, #requests do cdf[k] = cdf[k] / sum end
  end
end

-- Smallest k with cdf[k] >= u (binary search: 14 steps for 10,000 entries).
local function zipf_index()
  local u = math.random()
  local lo, hi = 1, #cdf
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end

function request()
  if pick == "zipf" then return requests[zipf_index()] end
  return requests[math.random(#requests)]
end
