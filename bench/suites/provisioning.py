"""Provisioning at scale: BENCH_PROVISION_TENANTS tenants created through
POST /admin/v1/tenants on a fresh server, then `tenantd_next migrate --all`
(one more migration, tests/next_release) over their databases, twice."""

import http.client
import json
import os
import subprocess
import threading
import time

from lib import report
from lib.procs import BenchError, log, vm_mib
from lib.servers import Tenantd

NAME = "provisioning"
TARGET_S = 60  # create, and migrate, 10,000 tenants
CONNECTIONS = 4


def create_tenants(port, token, count):
    """Creates `count` tenants over CONNECTIONS keep-alive connections; returns seconds."""
    state = {"next": 0, "error": None}
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= count or state["error"]:
                return
            conn.request("POST", "/admin/v1/tenants",
                         json.dumps({"slug": f"bench-{i:05d}", "name": f"Bench {i}"}), headers)
            res = conn.getresponse()
            data = res.read()
            if res.status != 201:
                state["error"] = f"{res.status} {data[:200]!r}"
                return
            if i % 1000 == 999:
                log(f"provisioning: {i + 1} tenants created")

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    if state["error"]:
        raise BenchError("provisioning: create failed: " + state["error"])
    return elapsed


def run_migrate(binary, data, work, jobs):
    """(seconds, JSON report, peak RSS in MiB) of one migrate run."""
    out_path, err_path = os.path.join(work, "migrate-out.json"), os.path.join(work, "migrate-err.txt")
    start = time.monotonic()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen([binary, "migrate", "--all", "--jobs", str(jobs), "--json", "--data", data],
                                stdout=out, stderr=err)
        # wait4: this one child's peak RSS (RUSAGE_CHILDREN would count every child so far).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        with open(err_path) as f:
            raise BenchError(f"provisioning: migrate failed ({proc.returncode}): {f.read()[-500:]}")
    with open(out_path) as f:
        return elapsed, json.load(f), usage.ru_maxrss / 1024


def run(ctx):
    count = ctx.knobs.provision_tenants
    server = Tenantd(ctx.tenantd_bin, ctx.work, "provisioning", config=False).start()
    try:
        log(f"provisioning: creating {count} tenants over {CONNECTIONS} connections")
        create_s = create_tenants(server.port, server.token, count)
        server_hwm = vm_mib(server.proc.pid, "VmHWM")
    finally:
        server.stop()
    jobs = os.cpu_count() or 2
    log(f"provisioning: tenantd_next migrate --all --jobs {jobs}")
    migrate_s, first, migrate_rss = run_migrate(ctx.tenantd_next_bin, server.data, ctx.work, jobs)
    again_s, second, _ = run_migrate(ctx.tenantd_next_bin, server.data, ctx.work, jobs)
    return {"tenants": count, "connections": CONNECTIONS,
            "create_seconds": round(create_s, 2), "create_per_second": round(count / create_s, 1),
            "server_peak_rss_mib": round(server_hwm, 1), "migrate_jobs": jobs,
            "migrate_seconds": round(migrate_s, 2), "migrate_per_second": round(count / migrate_s, 1),
            "migrate_peak_rss_mib": round(migrate_rss, 1), "rerun_seconds": round(again_s, 2),
            "migrate_report": first, "rerun_report": second}


def verdict(seconds, tenants):
    """PASS/FAIL against TARGET_S, which is for 10,000 tenants: smaller runs are scaled to it."""
    return report.verdict(seconds * 10000 / tenants < TARGET_S)


def render(results):
    x = results[NAME]
    n = x["tenants"]

    def ok(seconds):
        return verdict(seconds, n)

    return f"""## Provisioning and migrating {n} tenants

### Method

- `bench/suites/provisioning.py`: a fresh `tenantd serve` on an empty data
  directory; {n} `POST /admin/v1/tenants` over {x['connections']} keep-alive
  connections. Each answer comes after the tenant's database is created,
  migrated, flushed to disk (fsync) and its control row committed.
- Then, the server stopped, `tenantd_next migrate --all --jobs {x['migrate_jobs']}`:
  tenantd with one more migration (`ALTER TABLE products ADD COLUMN
  archived_at` and an index, from `tests/next_release`), applied to every
  tenant database; then the same command again, which finds nothing to do.
- Peak resident memory: the server's VmHWM after the creates; the migrate
  process's ru_maxrss.
- Targets: each under **{TARGET_S} s** for 10,000 tenants.

### Results

{report.table(["step", "time", "rate", "target", "result", "peak RSS"],
              [[f"create {n} tenants", f"{x['create_seconds']} s", f"{x['create_per_second']} /s",
                f"< {TARGET_S} s", ok(x['create_seconds']), f"{x['server_peak_rss_mib']} MiB (server)"],
               [f"migrate {n} tenant databases", f"{x['migrate_seconds']} s", f"{x['migrate_per_second']} /s",
                f"< {TARGET_S} s", ok(x['migrate_seconds']), f"{x['migrate_peak_rss_mib']} MiB (migrate)"],
               ["migrate again (nothing to do)", f"{x['rerun_seconds']} s", "", "", "", ""]],
              "lrrrcr")}
"""
