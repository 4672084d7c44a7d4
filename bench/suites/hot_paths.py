"""The Google Benchmark micro-benchmarks of the request hot paths (bench/*_bench.cpp)."""

import os

from lib.procs import BenchError, run_timed, tail

NAME = "hot_paths"


def run(ctx):
    out = os.path.join(ctx.work, "hot_paths.txt")
    rc, _ = run_timed([ctx.hot_paths_bin, f"--benchmark_min_time={ctx.knobs.min_time}"], out, 300)
    if rc != 0:
        raise BenchError(f"hot_paths_bench failed ({rc}):\n{tail(out, 20)}")
    with open(out) as f:
        lines = f.read().splitlines()
    # The table: from the dashed line above the header to the end.
    start = next((i for i, line in enumerate(lines) if line and set(line) == {"-"}), None)
    if start is None:
        raise BenchError("no table in the hot_paths_bench output")
    return {"min_time": ctx.knobs.min_time, "table": "\n".join(lines[start:])}


def render(results):
    x = results[NAME]
    build_type = results["meta"].get("build_type", "?")
    return f"""## Hot paths (Google Benchmark)

`hot_paths_bench --benchmark_min_time={x['min_time']}` (sources in `bench/`):
`Router::Find` on tenantd's real routes, access-log formatting and masking,
problem+json answers, SHA-256 / HMAC-SHA256 / constant-time compare of 32-byte
values, request ids. Read the CPU column: Time is wall-clock and grows when
other processes take the CPU. Debian's libbenchmark reports itself as a debug
build; that concerns the harness library, not the code measured (built {build_type}).

```
{x['table']}
```
"""
