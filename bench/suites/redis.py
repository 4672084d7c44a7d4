"""The API-key read with REDIS_URL (rate limits in Redis) against the same
read with in-process limits."""

from lib import report
from lib.load import Series
from lib.procs import CLK_TCK, BenchError, cpu_ticks, request
from lib.wrk import Load

NAME = "redis"
TARGET = 0.70


def series(ctx):
    f = ctx.whoami()
    srv = ctx.tenantd_redis()
    _, body, _ = request(srv.port, "GET", "/readyz")
    if b'"redis":"ok"' not in body:
        raise BenchError(f"tenantd with REDIS_URL is not ready: {body[:200]!r}")
    return [Series("apikey_redis", srv,
                   Load("/v1/whoami", headers=[f"Authorization: Bearer {f['api_key']}"]))]


def collect(ctx):
    calls, eval_us = 0, 0.0
    for line in ctx.redis().cli("info", "commandstats").splitlines():
        if line.startswith("cmdstat_evalsha:"):
            fields = dict(kv.split("=") for kv in line.split(":", 1)[1].split(","))
            calls, eval_us = int(fields["calls"]), float(fields["usec_per_call"])
    m = ctx.tenantd_redis().metrics()
    limited = sum(v for k, v in m.items() if k.startswith("tenantd_rate_limited_total"))
    fallbacks = sum(v for k, v in m.items() if k.startswith("tenantd_rate_limit_local_fallbacks_total"))
    cpu_s = cpu_ticks(ctx.redis().pids()) / CLK_TCK
    version = ctx.redis().cli("info", "server")
    version = next((x.split(":")[1].strip() for x in version.splitlines()
                    if x.startswith("redis_version:")), "unknown")
    return {"checks": calls, "eval_us_per_check": eval_us,
            "redis_cpu_us_per_check": round(cpu_s * 1e6 / calls, 1) if calls else 0,
            "rate_limited": int(limited), "local_fallbacks": int(fallbacks), "redis_version": version}


def render(results):
    med = results["load"]["median"]
    a, r = med["apikey"], med["apikey_redis"]
    x = results[NAME]
    ratio = report.ratio(r["rps"], a["rps"])
    return f"""## API-key read with Redis: REDIS_URL against the same read without

### Method

- A redis-server {x['redis_version']} of the harness's own on a loopback port (no
  persistence), and a second tenantd on the same data directory with
  `REDIS_URL=redis://127.0.0.1:P/0`, so every request's rate-limit check
  (tenant plan and credential, one Lua script) is a round trip to Redis
  instead of a lookup in the process. Each of tenantd's event loops
  pipelines its requests' checks over one connection.
- The same API-key whoami request as above, with the same wrk settings.
- Target: at least **{TARGET}** of the same read without Redis.

### Results

{report.table(["series", "req/s", "p99", "ratio vs API key without Redis", "target", "result",
               "server CPU per request"],
              [["API key, in-process limits", report.rps(a['rps']), report.ms(a['p99_ms']), "1.00", "", "",
                report.cpu_us(a)],
               ["API key, limits in Redis", report.rps(r['rps']), report.ms(r['p99_ms']),
                f"**{report.r2(ratio)}**", f"≥ {TARGET}", report.verdict(ratio >= TARGET), report.cpu_us(r)]],
              "lrrrrcr")}

- Requests refused with 429, and checks Redis could not answer: {x['rate_limited']} and
  {x['local_fallbacks']} (both should be 0).
- Server CPU per request does not include redis-server's: it used
  **{x['redis_cpu_us_per_check']} µs** of CPU per rate-limit check over the whole run
  ({x['checks']} checks), of which {x['eval_us_per_check']} µs inside the Lua script
  (`INFO commandstats`); on these shared CPUs that time is taken from tenantd and wrk.
"""
