"""Peers side by side: the Hono + better-sqlite3 peer (bench/peers) on the
same product read over as many tenants, in the same run."""

from lib import peers, report
from lib.load import Series
from lib.wrk import Load

NAME = "peer"
TARGET = 2.5  # tenantd / Hono peer req/s


def series(ctx):
    return [Series("hono", ctx.peer(), Load("/", "products_random.lua",
                                            env={"PRODUCTS_FILE": ctx.peer_targets()}))]


def collect(ctx):
    return {"node_version": peers.node_version(), "peer_rss_mib": round(ctx.peer().rss_mib(), 1),
            "tenants": ctx.knobs.tenants}


def render(results):
    med = results["load"]["median"]
    h = med["hono"]
    x = results[NAME]
    p = med.get("products")
    rows = [["Hono peer (2 workers, 1,024 handles)", report.rps(h["rps"]), report.ms(h["p99_ms"]),
             "1.00", "", "", report.cpu_us(h)]]
    if p:
        r = report.ratio(p["rps"], h["rps"])
        rows.append(["tenantd", report.rps(p["rps"]), report.ms(p["p99_ms"]), f"**{report.r2(r)}**",
                     f"≥ {TARGET}", report.verdict(r >= TARGET), report.cpu_us(p)])
    return f"""## Peers side by side: the same read on Hono + better-sqlite3

### Method

- `bench/peers/hono` (a copy of the project's shared peers): Hono +
  @hono/node-server + better-sqlite3 on Node {x['node_version']}, installed with
  `npm ci` from its committed `package-lock.json` into `build/bench/bench-peers/`.
  The same data model as tenantd's read: the API key's sha256 looked up in
  `control.db` (cached in memory), the tenant's own SQLite file from an LRU
  of open handles, one product row as JSON.
- Its best case: `WORKERS=2` (node:cluster, both CPUs) and `LRU_CAPACITY=1024`,
  so each of the {x['tenants']} tenants' handles stays open once used.
  {x['tenants']} tenants with one product each, seeded by `bench/peers/seed-data.py`.
- Load: the same `bench/wrk/products_random.lua`, a random tenant per request,
  measured in turn with tenantd's product read of the section above.
- Target (issue 20): tenantd at least **{TARGET}×** the peer's req/s.
- The peer's processes held {x['peer_rss_mib']} MiB (sum of VmHWM) after the runs.

### Results

{report.table(["server", "req/s", "p99", "ratio vs the peer", "target", "result", "server CPU per request"],
              rows, "lrrrrcr")}
"""
