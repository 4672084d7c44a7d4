"""GET /healthz: tenantd against nginx `return 200` with the same body."""

from lib import report
from lib.load import Series
from lib.wrk import Load

NAME = "healthz"
TARGET = 0.90  # tenantd / nginx req/s (issue 20)


def series(ctx):
    return [Series("nginx", ctx.nginx(), Load("/healthz")),
            Series("tenantd", ctx.tenantd(), Load("/healthz"))]


def collect(ctx):
    return {}


def render(results):
    med = results["load"]["median"]
    n, t = med["nginx"], med["tenantd"]
    ratio = report.ratio(t["rps"], n["rps"])
    meta = results["meta"]
    return f"""## GET /healthz: tenantd against nginx

### Method

- Both servers listen on 127.0.0.1 and run at the same time on this machine,
  together with wrk; nothing is pinned to a CPU.
- tenantd: `tenantd serve --host 127.0.0.1 --port P --data <temp dir>` with
  the defaults (one event-loop thread per CPU, text access log to stdout,
  redirected to a file, and to `<data>/storage/framework/log.txt`) and a plan
  whose rate limits are out of reach, answering `{{"ok":true}}` (11 bytes,
  `application/json`).
- nginx: generated configuration, `worker_processes auto`,
  `keepalive_requests 1000000`, `location = /healthz {{ default_type
  application/json; return 200 '{{"ok":true}}'; }}` (the same 11-byte body), an
  access log line of the same fields and about the same length as tenantd's,
  buffered (`buffer=256k flush=1s`) as tenantd's writer buffers.
- Load: `wrk -t2 -c64 -d{meta['duration']}s --latency http://127.0.0.1:P/healthz`
  (keep-alive). After a {meta['warmup']}-second warm-up of each series,
  {meta['runs']} runs of every series of this page, in turn (one run of each
  per round).
- Before every run the harness waits (at most 30 s) until the tenantd
  servers use under 5% of a CPU, so work left from the run before (sessions
  written in the background after `signed_fresh`) is not charged to the next.
- Figures: per series, the **median run by req/s** (the lower middle one for
  an even count); its p99 is from that same run. Every run is listed in
  "All runs" below.
- Server CPU: user + system time of the server process(es) during the run
  (`/proc/PID/stat`), divided by the requests served.
- Target (issue 20): tenantd at least **{TARGET}** of nginx's req/s.

### Results

{report.table(
    ["server", "req/s", "p99", "ratio vs nginx (req/s)", "target", "result", "server CPU per request"],
    [[f"nginx {meta['nginx_version']}", report.rps(n['rps']), report.ms(n['p99_ms']), "1.00", "", "",
      report.cpu_us(n)],
     ["tenantd", report.rps(t['rps']), report.ms(t['p99_ms']), f"**{report.r2(ratio)}**", f"≥ {TARGET}",
      report.verdict(ratio >= TARGET), report.cpu_us(t)]],
    "lrrrrcr")}

- p99 tenantd / nginx: {report.r2(report.ratio(t['p99_ms'], n['p99_ms']))}; server CPU per
  request tenantd / nginx: {report.r2(report.ratio(t['cpu_us_per_request'], n['cpu_us_per_request']))}.
"""
