-- GET /v1/products/{id} with an API key, a random tenant per request.
-- PRODUCTS_FILE names a Lua file returning {{api_key, product_id}, ...}
-- (written by bench/setup_products.py).
local targets = dofile(os.getenv("PRODUCTS_FILE"))
local requests = {}

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
end

function request()
  return requests[math.random(#requests)]
end
