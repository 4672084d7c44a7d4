"""wrk runs: one load description (Load), run against a port for some
seconds, parsed from the RESULT line of bench/wrk/report.lua."""

import os
import subprocess
from dataclasses import dataclass, field

from lib.procs import HOST, BenchError, run_timed, tail, wait_timed

WRK_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "wrk")


@dataclass
class Load:
    """What wrk sends: a path, a Lua script of bench/wrk (plain.lua sends the
    path with `headers`), environment for the script, and the client shape."""
    path: str
    script: str = "plain.lua"
    headers: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    threads: int = 2
    connections: int = 64

    def argv(self, port, seconds):
        argv = ["wrk", f"-t{self.threads}", f"-c{self.connections}", f"-d{seconds}s", "--latency",
                "-s", os.path.join(WRK_DIR, self.script)]
        for h in self.headers:
            argv += ["-H", h]
        return argv + [f"http://{HOST}:{port}{self.path}"]

    def environ(self):
        return dict(os.environ, BENCH_WRK_DIR=WRK_DIR, **self.env)


def parse(out_path):
    """The RESULT line as a dict of floats; BenchError when missing."""
    with open(out_path, errors="replace") as f:
        for line in f:
            if line.startswith("RESULT "):
                return {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    raise BenchError(f"no RESULT line in the wrk output {out_path}:\n{tail(out_path)}")


def summarise(r, wrk_cpu):
    socket_errors = int(r["connect_err"] + r["read_err"] + r["write_err"] + r["timeouts"])
    return {"rps": r["rps"], "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "max_ms": r["max_ms"],
            "requests": int(r["requests"]), "non2xx": int(r["non2xx"]),
            "socket_errors": socket_errors, "wrk_cpu_s": round(wrk_cpu, 2)}


def run(load, port, seconds, out_path):
    """One wrk run; fails on a non-2xx answer (the series would measure errors)."""
    rc, cpu = run_timed(load.argv(port, seconds), out_path, seconds + 30, env=load.environ())
    if rc != 0:
        raise BenchError(f"wrk against {load.path} failed ({rc}):\n{tail(out_path)}")
    return checked(summarise(parse(out_path), cpu), load, out_path)


def run_together(loads_ports, seconds, out_paths):
    """Several wrk clients at once (e.g. a hot tenant beside cold ones);
    a summary per client, in order."""
    procs = []
    for (load, port), out_path in zip(loads_ports, out_paths):
        with open(out_path, "wb") as out:
            procs.append(subprocess.Popen(load.argv(port, seconds), stdout=out,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          env=load.environ()))
    results = []
    for proc, (load, _), out_path in zip(procs, loads_ports, out_paths):
        rc, cpu = wait_timed(proc, seconds + 30)
        if rc != 0:
            raise BenchError(f"wrk against {load.path} failed ({rc}):\n{tail(out_path)}")
        results.append(checked(summarise(parse(out_path), cpu), load, out_path))
    return results


def checked(summary, load, out_path):
    if summary["non2xx"]:
        raise BenchError(f"{summary['non2xx']} answers to {load.path} were not 2xx "
                         f"(see {out_path})")
    return summary


def version():
    try:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
        return out.split()[1]
    except (OSError, IndexError):
        return "unknown"
