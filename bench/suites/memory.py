"""Resident memory of the main tenantd: before the load, after each
product-read run (1,000 tenant databases open under load) and its peak over
all the HTTP series."""

from lib.procs import vm_mib

NAME = "memory"
UNDER_LOAD_TARGET = 100  # MiB, with BENCH_TENANTS tenant databases open under load
PEAK_TARGET = 150        # MiB, after every HTTP series


def series(ctx):
    return []


def before(ctx):
    srv = ctx.tenantd()
    return {"rss_before_mib": round(vm_mib(srv.proc.pid, "VmRSS"), 1)}


def collect(ctx):
    srv = ctx.tenantd()
    lines = 0
    try:
        with open(f"{srv.data}/storage/framework/log.txt", "rb") as f:
            lines = sum(1 for _ in f)
    except OSError:
        pass
    nginx = ctx.nginx()
    return {"rss_after_mib": round(vm_mib(srv.proc.pid, "VmRSS"), 1),
            "hwm_mib": round(vm_mib(srv.proc.pid, "VmHWM"), 1),
            "nginx_hwm_mib": round(sum(vm_mib(p, "VmHWM") for p in nginx.pids()), 1),
            "access_lines": lines}


def render(results):
    x = results[NAME]
    runs = [r for r in results["load"]["runs"] if r["series"] == "products"]
    under_load = max((r.get("server_rss_mib", 0) for r in runs), default=0)
    tenants = results.get("products", {}).get("tenants", "?")
    return f"""## Memory

- tenantd resident memory (VmRSS) right after each product-read run, with
  {tenants} tenant databases open under load: at most **{under_load:.1f} MiB**
  (target < {UNDER_LOAD_TARGET} MiB: **{'PASS' if 0 < under_load < UNDER_LOAD_TARGET else 'FAIL'}**).
- tenantd peak resident memory (VmHWM) after every series above: **{x['hwm_mib']} MiB**
  (target < {PEAK_TARGET} MiB: **{'PASS' if x['hwm_mib'] < PEAK_TARGET else 'FAIL'}**);
  {x['rss_before_mib']} MiB resident before the load (tenants set up), {x['rss_after_mib']} MiB after it.
- nginx, master and workers together (sum of VmHWM): {x['nginx_hwm_mib']} MiB.
- tenantd wrote {x['access_lines']} access-log lines to `log.txt` during the run.
"""
