#!/usr/bin/env python3
"""The benchmark harness of `make bench`.

Usage: bench/run.py BUILD_DIR            measure, write the results (JSON) and
                                         docs/benchmarks.md rendered from them
       bench/run.py --render RESULTS     render Markdown from a results file

Measures, on this machine and in one run: GET /healthz against nginx
`return 200`; authenticated GET /v1/whoami (API key; mode B signature with and
without the session cookie, with rate limits in process and in Redis);
GET /v1/products/{id} over BENCH_TENANTS tenants against nginx and against
the Hono + better-sqlite3 peer (bench/peers); the same read over
BENCH_MANY_TENANTS tenants (uniform, Zipf, a hot tenant beside cold ones);
tenantd's memory; creating and migrating BENCH_PROVISION_TENANTS tenants;
backup and restore of a big tenant; 1 GiB file transfers against nginx
sendfile; 1 GiB on S3 against the local store and through tus against a plain
upload; image variants of a 12-megapixel JPEG against libvips in process; the Google Benchmark hot paths; with the control store on a
PostgreSQL 15 of the harness's own, the product read (against the same on
SQLite) and creating BENCH_PROVISION_TENANTS tenants; an API-key request
through nginx `auth_request` to tenantd's /auth/v1/check against nginx
alone; the product read through haproxy over three nodes (PostgreSQL
and Redis shared) against one node directly, and how long a revoked API key
keeps working on the other nodes. One module per benchmark in bench/suites/,
shared helpers in bench/lib/.

Exits non-zero when something cannot be built, started or measured. A missed
performance target is not a failure: the report says FAIL.

Knobs (environment): BENCH_RUNS (wrk runs per series, 3), BENCH_DURATION
(seconds per wrk run, 10), BENCH_WARMUP (seconds, 3), BENCH_MIN_TIME (Google
Benchmark seconds per benchmark, 0.1), BENCH_QUIET_WAIT (longest wait, in
seconds, for the machine to settle before measuring, 60), BENCH_TENANTS
(tenants of the product read, 1000), BENCH_MANY_TENANTS (tenants of the
more-tenants-than-handles read, 10000), BENCH_PROVISION_TENANTS (10000),
BENCH_BACKUP_PRODUCTS (10000), BENCH_BACKUP_MIB (1024), BENCH_FILES_RUNS (3),
BENCH_OUT (report path relative to the repository root, docs/benchmarks.md;
the results go beside it as .json), BENCH_ONLY (space- or comma-separated
module names, e.g. "products peer": only those and what they compare with;
the report then goes to BUILD_DIR/bench-results.md unless BENCH_OUT is set).
"""

import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib import load, report, wrk  # noqa: E402
from lib.context import Context, Knobs, check_tools, stop_everything  # noqa: E402
from lib.procs import BenchError, log, wait_quiet  # noqa: E402
from suites import (backup_restore, cluster, files, forward_auth, healthz, hot_paths, images,  # noqa: E402
                    many_tenants, memory, peer, postgres, products, provisioning, redis, transfers,
                    whoami)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Modules whose series run together under load, in this order each round.
LOAD_MODULES = [healthz, whoami, redis, products, postgres, cluster, forward_auth, peer, many_tenants,
                memory]
# Modules that run on their own, one after the other. A module in both lists
# (postgres, cluster) has a part of each; its report comes with the standalone ones.
STANDALONE_MODULES = [provisioning, postgres, cluster, backup_restore, files, transfers, images,
                      hot_paths]
# What a module's report compares with.
NEEDS = {"whoami": ["healthz"], "redis": ["healthz", "whoami"], "peer": ["products"],
         "many_tenants": ["products"], "memory": ["healthz", "products"],
         "postgres": ["products", "provisioning"]}


def selected(only):
    names = {m.NAME for m in LOAD_MODULES + STANDALONE_MODULES}
    unknown = [x for x in only if x not in names]
    if unknown:
        raise BenchError(f"BENCH_ONLY: unknown module(s) {unknown}; known: {sorted(names)}")
    if not only:
        return names
    chosen = set(only)
    for name in only:
        chosen.update(NEEDS.get(name, []))
    return chosen


def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True)
        return (out.stdout or out.stderr).splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def cmake_cache(build_dir, key):
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine_meta(ctx, busy):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "unknown CPU")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    compiler = cmake_cache(ctx.build_dir, "CMAKE_CXX_COMPILER") or "c++"
    try:
        benchmark = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libbenchmark-dev"],
                                   capture_output=True, text=True).stdout or "unknown"
    except OSError:
        benchmark = "unknown"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(), "cpu_model": cpu, "mem_gib": round(mem / 1048576, 1),
        "kernel": platform.release(), "loadavg": ", ".join(open("/proc/loadavg").read().split()[:3]),
        "busy_before_percent": busy,
        "tenantd_version": first_line([ctx.tenantd_bin, "version"]).split()[-1],
        "build_type": cmake_cache(ctx.build_dir, "CMAKE_BUILD_TYPE"),
        "compiler": first_line([compiler, "--version"]),
        "nginx_version": first_line(["nginx", "-v"]).replace("nginx version: nginx/", ""),
        "wrk_version": wrk.version(), "benchmark_version": benchmark,
        "runs": ctx.knobs.runs, "duration": ctx.knobs.duration, "warmup": ctx.knobs.warmup,
    }


def measure(ctx, chosen):
    results = {"meta": machine_meta(ctx, wait_quiet(ctx.knobs.quiet_wait))}
    mods = [m for m in LOAD_MODULES if m.NAME in chosen]
    if mods:
        series = []
        for m in mods:
            series += m.series(ctx)
        before = {m.NAME: m.before(ctx) for m in mods if hasattr(m, "before")}
        results["load"] = load.run_all(ctx, series)
        for m in mods:
            results[m.NAME] = dict(before.get(m.NAME, {}), **m.collect(ctx))
        ctx.stop_servers()
    for m in STANDALONE_MODULES:
        if m.NAME in chosen:
            log(f"{m.NAME}: {m.__doc__.splitlines()[0]}")
            wait_quiet(ctx.knobs.quiet_wait)
            results[m.NAME] = dict(results.get(m.NAME, {}), **m.run(ctx))
    return results


def all_runs(results):
    lr = results["load"]
    rows = [[r["series"], r["run"], report.rps(r["rps"]), report.ms(r["p99_ms"]), r["requests"],
             r["socket_errors"] or "-", r["server_cpu_s"], r["wrk_cpu_s"], r["other_cpu_s"], r["capacity_s"]]
            for r in sorted(lr["runs"], key=lambda r: (r["series"], r["run"]))]
    other = lr["other_cpu_percent"]
    note = (f"**Other processes took {other}% of the CPUs during the runs: the servers competed with "
            "unrelated work, so these figures are unreliable; run again on a quiet machine.**"
            if other > 10 else f"Other processes took {other}% of the CPUs during the runs.")
    return f"""## All runs

{report.table(["series", "run", "req/s", "p99", "requests", "socket errors", "CPU s: server", "wrk",
               "other", "capacity"], rows, "lrrrrlrrrr")}

CPU seconds per run, from `/proc`: the server's processes, wrk, everything
else on the machine (its busy time minus those two: other processes), and the
capacity (CPUs × the run's length). {note}
"""


def render(results):
    m = results["meta"]
    parts = [f"""# Benchmarks

Written by `make bench` (`bench/run.py`, from the results in
`{results.get('results_file', 'docs/benchmarks.json')}`); do not edit by hand. Every figure below
was measured in one run on one machine, so compare the ratios, not the
absolute numbers, with other machines.

- Date: {m['date']}
- Machine: {m['cpus']} CPUs, {m['cpu_model']}, {m['mem_gib']} GiB RAM, Linux {m['kernel']}
- Load when the run started: load average (1, 5, 15 min) {m['loadavg']}; the
  CPUs were {m['busy_before_percent']}% busy with other work just before the servers started
- Versions: tenantd {m['tenantd_version']} ({m['build_type']} build, {m['compiler']}),
  nginx {m['nginx_version']}, wrk {m['wrk_version']}, Google Benchmark {m['benchmark_version']}
"""]
    for mod in [m for m in LOAD_MODULES if m not in STANDALONE_MODULES] + STANDALONE_MODULES:
        if mod.NAME in results:
            parts.append(mod.render(results))
        if mod is memory and "load" in results:
            parts.append(all_runs(results))
    parts.append("""## Reproduce

```sh
make bench    # builds Release with -DTENANTD_BUILD_BENCH=ON, then runs bench/run.py build/bench
```

Environment knobs: `BENCH_RUNS` (wrk runs per series), `BENCH_DURATION`
(seconds per run), `BENCH_WARMUP` (seconds), `BENCH_TENANTS` (tenants of the
product read), `BENCH_MANY_TENANTS` (tenants of the more-tenants-than-handles
read), `BENCH_PROVISION_TENANTS` (tenants created and migrated, and created
with the control store on PostgreSQL),
`BENCH_BACKUP_PRODUCTS` and `BENCH_BACKUP_MIB` (the backed-up tenant),
`BENCH_FILES_RUNS` (1 GiB transfers per server), `BENCH_MIN_TIME` (Google
Benchmark seconds per benchmark), `BENCH_QUIET_WAIT` (longest wait for the
machine to go idle before measuring), `BENCH_OUT` (report path),
`BENCH_ONLY` (some modules only, e.g. `BENCH_ONLY=peer`). Close other load
first: the servers and wrk share this machine's CPUs, and the report flags
runs that competed with other processes. `python3 bench/run.py --render
docs/benchmarks.json` renders the report again from the results.
""")
    return "\n".join(parts)


def write_report(results, out_md):
    out_json = os.path.splitext(out_md)[0] + ".json"
    rel = os.path.relpath(out_json, ROOT)
    results["results_file"] = out_json if rel.startswith("..") else rel
    os.makedirs(os.path.dirname(out_md) or ".", exist_ok=True)
    with open(out_json + ".tmp", "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(out_json + ".tmp", out_json)
    with open(out_md + ".tmp", "w") as f:
        f.write(render(results))
    os.replace(out_md + ".tmp", out_md)
    log(f"wrote {out_md} and {out_json}")


def summary(results):
    """A few lines on stdout: the headline ratios of the modules that ran."""
    med = results.get("load", {}).get("median", {})
    for a, b, label in (("tenantd", "nginx", "GET /healthz / nginx"),
                        ("products", "nginx_product", "product read / nginx"),
                        ("products", "hono", "product read / Hono peer"),
                        ("many_uniform", "products", "many tenants, uniform / product read"),
                        ("many_zipf", "products", "many tenants, Zipf / product read"),
                        ("products_pg", "products", "product read, control store on PostgreSQL / SQLite"),
                        ("forward_auth", "forward_plain", "nginx + auth_request / nginx alone"),
                        ("cluster_haproxy", "cluster_direct", "haproxy over 3 nodes / one node")):
        if a in med and b in med:
            print(f"{label}: {report.ratio(med[a]['rps'], med[b]['rps']):.2f}")
    if "provision_tenants" in results.get("postgres", {}):
        pg, sq = results["postgres"], results.get("provisioning", {})
        print(f"tenants created/s, control store on PostgreSQL: {pg['create_per_second']}"
              + (f" (SQLite: {sq['create_per_second']})" if sq else ""))
    if "propagation_max_ms" in results.get("cluster", {}):
        c = results["cluster"]
        print(f"revocation reaches the other nodes: median {c['propagation_median_ms']} ms, "
              f"max {c['propagation_max_ms']} ms")
    if "memory" in results:
        print(f"tenantd peak RSS: {results['memory']['hwm_mib']} MiB")
    other = results.get("load", {}).get("other_cpu_percent", 0)
    if other > 10:
        print(f"WARNING: other processes took {other}% of the CPUs during the runs; "
              "the figures are unreliable (run again on a quiet machine).", file=sys.stderr)


def main(argv):
    # tenantd refuses a data directory others can read: create everything owner-only.
    os.umask(0o077)
    if len(argv) == 3 and argv[1] == "--render":
        with open(argv[2]) as f:
            results = json.load(f)
        out = os.path.splitext(argv[2])[0] + ".md"
        with open(out, "w") as f:
            f.write(render(results))
        log(f"wrote {out}")
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    build_dir = os.path.abspath(argv[1])
    if not os.path.isdir(build_dir):
        raise BenchError(f"build directory {argv[1]} not found (run: make release)")
    knobs = Knobs.from_env()
    chosen = selected(knobs.only)
    out = knobs.out
    if knobs.only and "BENCH_OUT" not in os.environ:
        out = os.path.join(build_dir, "bench-results.md")
    out = os.path.join(ROOT, out)
    work = tempfile.mkdtemp(prefix="tenantd-bench.", dir=os.environ.get("TMPDIR", "/tmp"))
    ctx = Context(ROOT, build_dir, knobs, work)
    check_tools(ctx, chosen)
    log(f"work directory {work}; modules: {' '.join(sorted(chosen))}")
    ok = False
    try:
        results = measure(ctx, chosen)
        ok = True
    finally:
        stop_everything()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"logs kept in {work}")
    write_report(results, out)
    summary(results)
    return 0


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main(sys.argv))
    except BenchError as e:
        log(f"ERROR: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
