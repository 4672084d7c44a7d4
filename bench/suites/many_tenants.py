"""More tenants than open handles: the product read over BENCH_MANY_TENANTS
tenants (default 10,000) with the default pool of 1,024 handles, the tenant
chosen uniformly at random or Zipf-distributed, and a hot tenant's latency
while cold tenants are read beside it."""

from lib import report
from lib.load import Series
from lib.procs import vm_mib
from lib.wrk import Load
from suites.products import pool

NAME = "many_tenants"
UNIFORM_TARGET = 0.5  # / the read over BENCH_TENANTS tenants
ZIPF_TARGET = 0.8
ZIPF_S = "1.1"
HOT_TARGET = 2.0      # hot tenant p99 beside cold tenants / beside itself
HOT_CONNECTIONS, BESIDE_CONNECTIONS = 8, 56


def series(ctx):
    srv = ctx.tenantd_many()
    many, hot, size = ctx.many_readers()

    def reads(targets, connections=64, threads=2, **env):
        return Load("/", "products_random.lua", env=dict(PRODUCTS_FILE=targets, **env),
                    threads=threads, connections=connections)

    hot_load = reads(hot, HOT_CONNECTIONS, 1)
    return [
        Series("many_uniform", srv, reads(many), facts={"answer_bytes": size}),
        Series("many_zipf", srv, reads(many, PICK="zipf", ZIPF_S=ZIPF_S)),
        Series("hot_alone", srv, hot_load, beside=reads(hot, BESIDE_CONNECTIONS, 1), beside_server=srv),
        Series("hot_beside_cold", srv, hot_load, beside=reads(many, BESIDE_CONNECTIONS, 1),
               beside_server=srv),
    ]


def collect(ctx):
    srv = ctx.tenantd_many()
    return {"tenants": ctx.knobs.many_tenants, "pool": pool(srv),
            "rss_mib": round(vm_mib(srv.proc.pid, "VmRSS"), 1),
            "hwm_mib": round(vm_mib(srv.proc.pid, "VmHWM"), 1)}


def render(results):
    med = results["load"]["median"]
    x = results[NAME]
    base = med.get("products")
    u, z, alone, cold = med["many_uniform"], med["many_zipf"], med["hot_alone"], med["hot_beside_cold"]
    rows = []
    if base:
        rows.append([f"{results['products']['tenants']} tenants, uniform (section above)", report.rps(base["rps"]),
                     report.ms(base["p99_ms"]), "1.00", "", "", report.cpu_us(base)])
    for m, label, target in ((u, f"{x['tenants']} tenants, uniform", UNIFORM_TARGET),
                             (z, f"{x['tenants']} tenants, Zipf s = {ZIPF_S}", ZIPF_TARGET)):
        r = report.ratio(m["rps"], base["rps"]) if base else 0
        rows.append([label, report.rps(m["rps"]), report.ms(m["p99_ms"]), f"**{report.r2(r)}**",
                     f"≥ {target}", report.verdict(r >= target), report.cpu_us(m)])
    hot = report.ratio(cold["p99_ms"], alone["p99_ms"])
    pl = x["pool"]
    return f"""## More tenants than handles: the product read over {x['tenants']} tenants

### Method

- A second tenantd with the default pool (1,024 handles), {x['tenants']} tenants
  each with an API key and one product, created through the HTTP API.
- **Uniform**: `bench/wrk/products_random.lua`, wrk -t2 -c64, a tenant of
  {x['tenants']} at random per request: most requests miss the pool, open the
  tenant's database and evict another.
- **Zipf**: the same with `PICK=zipf ZIPF_S={ZIPF_S}`: tenant k (in creation order)
  is picked with probability ∝ 1/k^{ZIPF_S}, so a few tenants are hot and most
  are cold, as in real multi-tenant traffic.
- Both are compared with the read over {results.get('products', {}).get('tenants', '?')} tenants of the
  section above (every handle cached), same run.
- **Hot tenant**: two wrk clients at once: {HOT_CONNECTIONS} connections (1 thread)
  reading the first tenant only, beside {BESIDE_CONNECTIONS} connections (1 thread)
  reading either that same tenant ("alone": the server reads one tenant) or
  random tenants of the {x['tenants']} ("beside cold tenants"). The figure is
  the hot client's p99 in each; the total load is the same.
- Targets (issue 20): uniform ≥ **{UNIFORM_TARGET}**, Zipf ≥ **{ZIPF_TARGET}** of the
  read over {results.get('products', {}).get('tenants', '?')} tenants; the hot tenant's p99 beside cold
  tenants at most **{HOT_TARGET}×** its p99 alone.

### Results

{report.table(["read", "req/s", "p99", "ratio vs all handles cached", "target", "result",
               "server CPU per request"], rows, "lrrrrcr")}

{report.table(["hot tenant's client", "its req/s", "its p99", "other client req/s", "p99 ratio", "target",
               "result"],
              [["beside itself (alone)", report.rps(alone['rps']), report.ms(alone['p99_ms']),
                report.rps(alone['beside_rps']), "1.00", "", ""],
               ["beside cold tenants", report.rps(cold['rps']), report.ms(cold['p99_ms']),
                report.rps(cold['beside_rps']), f"**{report.r2(hot)}**", f"≤ {HOT_TARGET}",
                report.verdict(hot <= HOT_TARGET)]],
              "lrrrrrc")}

- Pool after the runs: {pl['open']} handles open, {pl['hits']} hits, {pl['misses']} misses,
  {pl['evictions']} evictions. This server's resident memory after the runs:
  {x['rss_mib']} MiB (peak {x['hwm_mib']} MiB).
"""
