"""Authenticated GET /v1/whoami (API key; mode B signature with and without
the session cookie) against tenantd's own /healthz."""

import os
import sqlite3

from lib import report
from lib.load import Series
from lib.wrk import Load

NAME = "whoami"
TARGET = 0.85  # each series / tenantd /healthz req/s


def series(ctx):
    f = ctx.whoami()
    signed = {"TENANTD_APP_KEY": f["app_key"], "TENANTD_APP_SECRET": f["app_secret"]}
    return [
        Series("apikey", ctx.tenantd(), Load("/v1/whoami", headers=[f"Authorization: Bearer {f['api_key']}"])),
        Series("signed", ctx.tenantd(), Load("/v1/whoami", "signed_whoami.lua",
                                             env=dict(signed, SESSION_COOKIE=f["cookie"]))),
        Series("signed_fresh", ctx.tenantd(), Load("/v1/whoami", "signed_whoami.lua", env=signed)),
    ]


def collect(ctx):
    db = sqlite3.connect(f"file:{os.path.join(ctx.tenantd().data, 'control.db')}?mode=ro", uri=True)
    try:
        sessions = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
    except sqlite3.Error:
        sessions = None
    finally:
        db.close()
    return {"sessions": sessions}


def render(results):
    med = results["load"]["median"]
    t = med["tenantd"]
    rows = [["tenantd GET /healthz", report.rps(t["rps"]), report.ms(t["p99_ms"]), "1.00", "", "",
             report.cpu_us(t)]]
    for key, label in (("apikey", "API key"), ("signed", "signed, keeping the cookie"),
                       ("signed_fresh", "signed, ignoring cookies")):
        m = med[key]
        r = report.ratio(m["rps"], t["rps"])
        rows.append([label, report.rps(m["rps"]), report.ms(m["p99_ms"]), f"**{report.r2(r)}**",
                     f"≥ {TARGET}", report.verdict(r >= TARGET), report.cpu_us(m)])
    return f"""## Authenticated reads: GET /v1/whoami against tenantd's own /healthz

### Method

- Same server, same run, same wrk settings as above. Each request is
  authenticated in full (tenant resolved, credentials verified, tenant status
  checked) and answered with the ~310-byte whoami document.
- **API key**: `Authorization: Bearer sk_live_…` (a secret key).
- **Signed, keeping the cookie**: mode B, every request signed afresh with a
  unique `X-Nonce` (`bench/wrk/signed_whoami.lua`, HMAC through OpenSSL via
  LuaJIT's FFI), sending the `sid` cookie of an earlier signed request, as a
  client with a cookie jar does (one session for the run).
- **Signed, ignoring cookies**: the same, but the client never sends the
  cookie back, so every request starts (and stores) a new session, as api.md
  §4 requires for a mode B request without one.
- The wrk client computes the HMACs in Lua on the same 2 CPUs, so it takes a
  larger share of the machine than in the /healthz runs.
- Target: the signed and API-key reads at least **{TARGET}** of the /healthz req/s.

### Results

{report.table(["series", "req/s", "p99", "ratio vs tenantd /healthz", "target", "result",
               "server CPU per request"], rows, "lrrrrcr")}

- Sessions in the control store after the runs: {results[NAME]['sessions']} (nearly all
  from the cookie-ignoring series: one per request, written behind in
  batches; see docs/api.md).
"""
