"""The product read tenantd exists for: GET /v1/products/{id} with an API
key, a random tenant of BENCH_TENANTS per request, against nginx `return 200`
with a product-sized body."""

from lib import report
from lib.load import Series
from lib.servers import NGINX_PRODUCT_BODY
from lib.wrk import Load

NAME = "products"
TARGET = 0.60      # tenantd / nginx req/s
P99_TARGET = 2.0   # tenantd p99 / nginx p99


def series(ctx):
    targets, size = ctx.readers()
    return [Series("nginx_product", ctx.nginx(), Load("/product")),
            Series("products", ctx.tenantd(), Load("/", "products_random.lua",
                                                   env={"PRODUCTS_FILE": targets}),
                   facts={"answer_bytes": size})]


def pool(server):
    m = server.metrics()
    return {"open": int(m.get('tenantd_tenant_db_handles{state="open"}', -1)),
            "hits": int(m.get("tenantd_tenant_db_hits_total", -1)),
            "misses": int(m.get("tenantd_tenant_db_misses_total", -1)),
            "evictions": int(m.get("tenantd_tenant_db_evictions_total", -1))}


def collect(ctx):
    return {"pool": pool(ctx.tenantd()), "tenants": ctx.knobs.tenants}


def render(results):
    med = results["load"]["median"]
    n, p = med["nginx_product"], med["products"]
    x = results[NAME]
    ratio = report.ratio(p["rps"], n["rps"])
    p99 = report.ratio(p["p99_ms"], n["p99_ms"])
    pl = x["pool"]
    return f"""## Tenant reads: GET /v1/products/{{id}} over {x['tenants']} tenants against nginx

### Method

- {x['tenants']} tenants, each with its own SQLite database, one secret API key
  and one product, created through the HTTP API before the runs.
- Load: `wrk -t2 -c64` with `bench/wrk/products_random.lua`: every request
  picks a tenant at random and reads its product with its API key, so each
  request resolves the key, checks the tenant, leases that tenant's database
  handle from the pool and reads one row. The answer is {p['answer_bytes']} bytes of JSON.
- Baseline: the same nginx, `return 200` with a {len(NGINX_PRODUCT_BODY)}-byte product
  document at `/product`, measured in turn with tenantd.
- Targets (issue 20): at least **{TARGET}** of nginx's req/s, and a p99 at most
  **{P99_TARGET}×** nginx's.

### Results

{report.table(["server", "req/s", "p99", "ratio vs nginx", "target", "result", "p99 / nginx p99",
               "target", "result", "server CPU per request"],
              [["nginx `return 200`", report.rps(n['rps']), report.ms(n['p99_ms']), "1.00", "", "", "1.00",
                "", "", report.cpu_us(n)],
               ["tenantd, random tenant", report.rps(p['rps']), report.ms(p['p99_ms']),
                f"**{report.r2(ratio)}**", f"≥ {TARGET}", report.verdict(ratio >= TARGET),
                f"**{report.r2(p99)}**", f"≤ {P99_TARGET}", report.verdict(p99 <= P99_TARGET),
                report.cpu_us(p)]],
              "lrrrrcrrcr")}

- Tenant database pool after the runs: {pl['open']} handles open, {pl['hits']} hits,
  {pl['misses']} misses, {pl['evictions']} evictions (default capacity 1024 handles).
"""
