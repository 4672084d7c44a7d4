"""The HTTP load series: every series of every module is warmed up, then
measured in rounds, one run of each series per round, in turn, so that
slow drifts of the machine touch every series alike. A run records the
server's CPU (from /proc), wrk's, and the rest of the machine's."""

import os
from dataclasses import dataclass, field
from typing import Optional

from lib import wrk
from lib.procs import CLK_TCK, BenchError, cpu_ticks, log, machine_ticks, settle, vm_mib


@dataclass
class Series:
    name: str            # key in the results: "products", "many_zipf", ...
    server: object       # .port and .pids() (the processes charged with the CPU)
    load: wrk.Load
    # A second client run at the same time against `beside_server` (cold
    # tenants read beside a hot one); its req/s is recorded as beside_rps.
    beside: Optional[wrk.Load] = None
    beside_server: object = None
    facts: dict = field(default_factory=dict)


def _one_run(ctx, s, seconds, out):
    if s.beside is None:
        return wrk.run(s.load, s.server.port, seconds, out)
    hot, cold = wrk.run_together([(s.load, s.server.port), (s.beside, s.beside_server.port)],
                                 seconds, [out, out + ".beside"])
    hot["beside_rps"] = cold["rps"]
    hot["wrk_cpu_s"] = round(hot["wrk_cpu_s"] + cold["wrk_cpu_s"], 2)
    return hot


def measure(ctx, s, run_index):
    settle(ctx.settle_pids())
    pids = s.server.pids()
    before = cpu_ticks(pids)
    busy0, total0 = machine_ticks()
    out = os.path.join(ctx.work, f"wrk-{s.name}-{run_index}.txt")
    r = _one_run(ctx, s, ctx.knobs.duration, out)
    busy1, total1 = machine_ticks()
    server_cpu = (cpu_ticks(pids) - before) / CLK_TCK
    machine_cpu = (busy1 - busy0) / CLK_TCK
    r.update(series=s.name, run=run_index, server_cpu_s=round(server_cpu, 2),
             # Everything else that ran meanwhile: machine busy time - server - wrk.
             other_cpu_s=round(max(machine_cpu - server_cpu - r["wrk_cpu_s"], 0), 2),
             capacity_s=round((total1 - total0) / CLK_TCK, 2),
             server_rss_mib=round(sum(vm_mib(p, "VmRSS") for p in pids), 1))
    beside = f", beside {r['beside_rps']:.0f} req/s" if "beside_rps" in r else ""
    log(f"{s.name:<16} run {run_index}: {r['rps']:7.0f} req/s  p99 {r['p99_ms']:7.2f} ms  "
        f"CPU s: server {server_cpu:5.2f} wrk {r['wrk_cpu_s']:5.2f} other {r['other_cpu_s']:5.2f}{beside}")
    for srv in ctx.running_servers():
        if srv.proc.poll() is not None:
            raise BenchError(f"{getattr(srv, 'name', 'a server')} exited during {s.name}")
    return r


def median_run(runs):
    """The median run by req/s (the lower middle one for an even count)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[(len(ordered) - 1) // 2]


def run_all(ctx, series):
    k = ctx.knobs
    if k.warmup > 0:
        log(f"warming up {k.warmup} s each")
        for s in series:
            _one_run(ctx, s, k.warmup, os.path.join(ctx.work, f"warmup-{s.name}.txt"))
    log(f"wrk -t2 -c64 -d{k.duration}s --latency, {k.runs} runs per series, in turn")
    runs = []
    for r in range(1, k.runs + 1):
        for s in series:
            runs.append(measure(ctx, s, r))
    medians = {}
    for s in series:
        m = dict(median_run([x for x in runs if x["series"] == s.name]))
        m["cpu_us_per_request"] = round(m["server_cpu_s"] * 1e6 / max(m["requests"], 1), 1)
        m.update(s.facts)
        medians[s.name] = m
    other = sum(x["other_cpu_s"] for x in runs)
    capacity = sum(x["capacity_s"] for x in runs)
    return {"runs": runs, "median": medians,
            "other_cpu_percent": round(100 * other / capacity) if capacity else 0}
