"""Forward authentication (issue 22): an API-key request through nginx with
`auth_request` to tenantd's /auth/v1/check, then to a `return 200`
upstream, against the same nginx passing the same request to the same
upstream without asking tenantd."""

from lib import report
from lib.load import Series
from lib.procs import CLK_TCK, BenchError, cpu_ticks, request
from lib.servers import Endpoint
from lib.wrk import Load

NAME = "forward_auth"
TARGET = 0.50  # req/s with auth_request / without (issue 22)
PATH = "/orders"


def _check_wiring(nginx, key):
    """The series would measure nothing if nginx did not ask tenantd: a
    request without a key must be refused, one with the key let through."""
    status, body, _ = request(nginx.auth_port, "GET", PATH)
    if status != 401:
        raise BenchError(f"forward auth: a request without a key answered {status}, not 401 "
                         f"(is auth_request asking tenantd?): {body[:200]!r}")
    status, body, _ = request(nginx.auth_port, "GET", PATH, {"Authorization": "Bearer " + key})
    if status != 200:
        raise BenchError(f"forward auth: a request with the API key answered {status}: {body[:200]!r}")


def series(ctx):
    nginx, tenantd, key = ctx.forward_nginx(), ctx.tenantd_forward(), ctx.forward_key()
    _check_wiring(nginx, key)
    headers = [f"Authorization: Bearer {key}"]
    return [Series("forward_plain", Endpoint(nginx.plain_port, nginx), Load(PATH, headers=headers)),
            Series("forward_auth", Endpoint(nginx.auth_port, nginx, tenantd),
                   Load(PATH, headers=headers))]


def _checks(ctx):
    m = ctx.tenantd_forward().metrics()
    return int(sum(v for k, v in m.items()
                   if k.startswith("tenantd_http_requests_total") and "/auth/v1/check" in k))


def before(ctx):
    return {"checks_before": _checks(ctx), "tenantd_ticks_before": cpu_ticks(ctx.tenantd_forward().pids())}


def collect(ctx):
    m = ctx.tenantd_forward().metrics()
    limited = sum(v for k, v in m.items() if k.startswith("tenantd_rate_limited_total"))
    return {"checks_after": _checks(ctx), "rate_limited": int(limited),
            "tenantd_ticks_after": cpu_ticks(ctx.tenantd_forward().pids())}


def render(results):
    med = results["load"]["median"]
    p, a = med["forward_plain"], med["forward_auth"]
    x = results[NAME]
    ratio = report.ratio(a["rps"], p["rps"])
    checks = x["checks_after"] - x["checks_before"]
    tenantd_s = (x["tenantd_ticks_after"] - x["tenantd_ticks_before"]) / CLK_TCK
    tenantd_us = f"{tenantd_s * 1e6 / checks:.1f}" if checks else "n/a"
    return f"""## Forward authentication: nginx `auth_request` + tenantd against nginx alone

### Method

- One nginx of `bench/nginx-forward-auth.conf` (the check location of
  `deploy/nginx-forward-auth.conf`, trimmed; `worker_processes auto`, no
  access log, keep-alive to both upstreams): on one port every request is
  first sent to tenantd's `/auth/v1/check` (`auth_request`, with
  `X-Original-Method`/`X-Original-URI` and the client's `Authorization`)
  and, on 200, passed with tenantd's `X-Tenant-Id`/`X-Scopes` to the
  upstream; on another port the same request goes to the same upstream
  without the check. The upstream is a server of the same nginx,
  `return 200 "ok\\n"`.
- tenantd: its own data directory, `TENANTD_TRUSTED_PROXIES=127.0.0.1`, one
  tenant on the bench plan (limits out of reach); each check resolves the
  API key, checks the tenant and its rate limits and counts the request.
- Before the runs, the harness checks that a request without a key gets
  nginx's 401 and one with the key 200.
- Load: `wrk -t2 -c64` on `GET {PATH}` with `Authorization: Bearer sk_live_…`
  to both ports, in turn with the other series.
- Server CPU: nginx's processes, plus tenantd's for the checked series.
- Target (issue 22): at least **{TARGET}** of the requests/s without the check.

### Results

{report.table(["path", "req/s", "p99", "ratio vs without check", "target", "result",
               "server CPU per request"],
              [["nginx → upstream", report.rps(p['rps']), report.ms(p['p99_ms']), "1.00", "", "",
                report.cpu_us(p)],
               ["nginx + auth_request → tenantd, → upstream", report.rps(a['rps']),
                report.ms(a['p99_ms']), f"**{report.r2(ratio)}**", f"≥ {TARGET}",
                report.verdict(ratio >= TARGET), report.cpu_us(a)]],
              "lrrrrcr")}

- Checks tenantd answered during the warm-up and the runs: {checks} (one per
  request through the checked port); requests it refused with 429:
  {x['rate_limited']} (should be 0). tenantd's share of the checked series' CPU:
  **{tenantd_us} µs** per check, the rest is nginx's.
"""
