#!/usr/bin/env python3
"""Quick A/B measurement of the tenant database pool (issue 20), outside
`make bench`: one or more tenantd binaries, in turns, on the same data
directory of BENCH_MANY_TENANTS tenants (created once through the HTTP API
and kept under --work for the next run), each read with wrk -t2 -c64:

  base      the product read over the first 1,000 tenants (every handle cached)
  uniform   the same read over every tenant, picked at random
  zipf      the same, Zipf s = 1.1
  hot       a hot tenant's p99 (8 connections) beside 56 connections reading
            the same tenant (alone) or random tenants (beside cold)
  rss       the server's VmRSS after the base read (1,000 handles open)

Binaries alternate per round, so each comparison is made within a minute or
two of the machine's life; run several rounds on a noisy machine.

  scripts/pool_measure.py --work /tmp/pool-measure --rounds 3 \
      before=/path/to/old/tenantd after=build/rel/src/tenantd
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))

from lib import servers  # noqa: E402
from lib.procs import PROCS, log, vm_mib  # noqa: E402
from lib.wrk import Load, run, run_together  # noqa: E402

SECONDS = int(os.environ.get("POOL_MEASURE_SECONDS", "8"))


def reads(targets, connections=64, threads=2, **env):
    return Load("/", "products_random.lua", env=dict(PRODUCTS_FILE=targets, **env),
                threads=threads, connections=connections)


def provision(binary, work, tenants):
    """The data directory and target files, made once and reused."""
    data = os.path.join(work, "data")
    many = os.path.join(work, "many.lua")
    if os.path.exists(many):
        return data
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data, mode=0o700)
    srv = servers.Tenantd(binary, work, "provision", data=data).start()
    try:
        pairs, _ = servers.create_readers(srv, tenants, "many")
    finally:
        srv.stop()
    servers.write_targets(pairs[:1000], os.path.join(work, "first1000.lua"))
    servers.write_targets(pairs[:1], os.path.join(work, "hot.lua"))
    servers.write_targets(pairs, many)
    return data


def one_round(name, binary, work, data):
    srv = servers.Tenantd(binary, work, name, data=data).start()
    out = lambda s: os.path.join(work, f"{name}-{s}.out")  # noqa: E731
    r = {}
    try:
        first, many, hot = (os.path.join(work, f) for f in ("first1000.lua", "many.lua", "hot.lua"))
        run(reads(first), srv.port, 3, out("warm"))
        r["base"] = run(reads(first), srv.port, SECONDS, out("base"))
        r["rss_1000_mib"] = round(vm_mib(srv.proc.pid, "VmRSS"), 1)
        r["uniform"] = run(reads(many), srv.port, SECONDS, out("uniform"))
        r["zipf"] = run(reads(many, PICK="zipf", ZIPF_S="1.1"), srv.port, SECONDS, out("zipf"))
        hot_load = reads(hot, 8, 1)
        r["hot_alone"], _ = run_together([(hot_load, srv.port), (reads(hot, 56, 1), srv.port)],
                                         SECONDS, [out("hot1"), out("hot1b")])
        r["hot_beside_cold"], _ = run_together(
            [(hot_load, srv.port), (reads(many, 56, 1), srv.port)], SECONDS,
            [out("hot2"), out("hot2b")])
        r["rss_end_mib"] = round(vm_mib(srv.proc.pid, "VmRSS"), 1)
        m = srv.metrics()
        r["pool"] = {k: m.get(f"tenantd_tenant_db_{k}_total") for k in ("hits", "misses", "evictions")}
    finally:
        srv.stop()
    return r


def summary(rounds):
    med = lambda xs: statistics.median(xs)  # noqa: E731
    s = {}
    for key in ("uniform", "zipf"):
        s[f"{key}/base"] = round(med([r[key]["rps"] / r["base"]["rps"] for r in rounds]), 3)
    s["hot p99 beside cold / alone"] = round(
        med([r["hot_beside_cold"]["p99_ms"] / r["hot_alone"]["p99_ms"] for r in rounds]), 2)
    for key in ("base", "uniform", "zipf"):
        s[f"{key} req/s"] = round(med([r[key]["rps"] for r in rounds]))
    s["rss with 1000 open (MiB)"] = med([r["rss_1000_mib"] for r in rounds])
    s["rss at end (MiB)"] = med([r["rss_end_mib"] for r in rounds])
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--work", default="/tmp/pool-measure")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--tenants", type=int, default=int(os.environ.get("BENCH_MANY_TENANTS", "10000")))
    p.add_argument("binaries", nargs="+", help="name=path of a tenantd binary")
    a = p.parse_args()
    named = [b.split("=", 1) for b in a.binaries]
    os.makedirs(a.work, exist_ok=True)
    try:
        data = provision(named[0][1], a.work, a.tenants)
        results = {name: [] for name, _ in named}
        for i in range(a.rounds):
            for name, binary in named:
                log(f"round {i + 1}: {name}")
                results[name].append(one_round(name, binary, a.work, data))
                time.sleep(2)
        with open(os.path.join(a.work, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        for name, rounds in results.items():
            print(name, json.dumps(summary(rounds), indent=1))
            for r in rounds:
                print("  ", {k: (round(v["rps"]), v["p99_ms"]) if isinstance(v, dict) and "rps" in v
                             else v for k, v in r.items()})
    finally:
        PROCS.stop_all()


if __name__ == "__main__":
    main()
