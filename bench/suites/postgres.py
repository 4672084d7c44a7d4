"""The control store on PostgreSQL: the API-key product read and creating
tenants, each against the same on SQLite, on a PostgreSQL 15 the harness
starts itself (issue 13).

Two parts: series() (the product read, measured in turn with the other load
series, against the `products` series of the same run) and run() (tenants
created on a fresh server, after the load, against the `provisioning`
module's figure)."""

from lib import report
from lib.load import Series
from lib.procs import CLK_TCK, BenchError, cpu_ticks, log, vm_mib
from lib.servers import Endpoint, Postgres, Tenantd
from lib.wrk import Load
from suites import provisioning
from suites.products import pool

NAME = "postgres"
READ_TARGET = 0.90  # product read, control store on PostgreSQL / on SQLite (req/s)
READ_DATABASE = "bench_read"


def series(ctx):
    targets, size = ctx.pg_readers()
    return [Series("products_pg", Endpoint(ctx.tenantd_pg().port, ctx.tenantd_pg(), ctx.postgres()),
                   Load("/", "products_random.lua", env={"PRODUCTS_FILE": targets}),
                   facts={"answer_bytes": size})]


def _counts(ctx):
    """(transactions committed in the read's database, requests tenantd_pg answered)."""
    commits = int(ctx.postgres().sql(READ_DATABASE, "SELECT xact_commit + xact_rollback FROM "
                                     f"pg_stat_database WHERE datname = '{READ_DATABASE}'")[0])
    requests = sum(v for k, v in ctx.tenantd_pg().metrics().items()
                   if k.startswith("tenantd_http_requests_total"))
    return commits, int(requests)


def before(ctx):
    commits, requests = _counts(ctx)
    return {"xacts_before": commits, "requests_before": requests}


def collect(ctx):
    commits, requests = _counts(ctx)
    return {"pg_version": ctx.postgres().version(), "pool_pg": pool(ctx.tenantd_pg()),
            "xacts_after": commits, "requests_after": requests, "tenants": ctx.knobs.tenants}


def run(ctx):
    """Creating BENCH_PROVISION_TENANTS tenants with the control store on PostgreSQL."""
    count = ctx.knobs.provision_tenants
    pg = Postgres(ctx.work).start()
    try:
        url = pg.create_database("bench_provision")
        server = Tenantd(ctx.tenantd_bin, ctx.work, "provisioning-pg", config=False,
                         env={"TENANTD_DATABASE_URL": url}).start()
        try:
            cpu0 = cpu_ticks(server.pids()), cpu_ticks(pg.pids())
            log(f"postgres: creating {count} tenants over {provisioning.CONNECTIONS} connections")
            create_s = provisioning.create_tenants(server.port, server.token, count)
            cpu1 = cpu_ticks(server.pids()), cpu_ticks(pg.pids())
            server_hwm = vm_mib(server.proc.pid, "VmHWM")
        finally:
            server.stop()
        rows = int(pg.sql("bench_provision", "SELECT count(*) FROM tenants")[0])
        if rows != count:
            raise BenchError(f"postgres: {count} tenants created, but the control store holds {rows}")
        size = int(pg.sql("postgres", "SELECT pg_database_size('bench_provision')")[0])
        version = pg.version()
    finally:
        pg.stop()
    return {"provision_tenants": count, "connections": provisioning.CONNECTIONS, "pg_version": version,
            "create_seconds": round(create_s, 2), "create_per_second": round(count / create_s, 1),
            "server_cpu_s": round((cpu1[0] - cpu0[0]) / CLK_TCK, 2),
            "pg_cpu_s": round((cpu1[1] - cpu0[1]) / CLK_TCK, 2),
            "server_peak_rss_mib": round(server_hwm, 1),
            "control_db_mib": round(size / 1048576, 1)}


def _read(results):
    med = results["load"]["median"]
    s, p = med["products"], med["products_pg"]
    x = results[NAME]
    ratio = report.ratio(p["rps"], s["rps"])
    requests = x["requests_after"] - x["requests_before"]
    xacts = x["xacts_after"] - x["xacts_before"]
    per = f"{xacts / requests:.4f}" if requests else "n/a"
    pl = x["pool_pg"]
    return f"""### The API-key product read

- The `products` series above (tenantd with its control store in
  `<data>/control.db`), and a second tenantd with
  `TENANTD_DATABASE_URL=postgres://tenantd@127.0.0.1:P/{READ_DATABASE}` (a
  role that owns its database, no superuser), each with its own
  {x['tenants']} tenants (a SQLite database, a secret API key and a product
  each), read with the same `wrk -t2 -c64` and `bench/wrk/products_random.lua`,
  in turn in the same rounds. Tenant databases are SQLite files in both.
- Server CPU of the PostgreSQL series: tenantd's and PostgreSQL's processes.
- Target (issue 13): at least **{READ_TARGET}** of the read on SQLite; the hot
  lookups (API key, tenant) are cached, so the requests should barely reach
  PostgreSQL.

{report.table(["control store", "req/s", "p99", "ratio vs SQLite", "target", "result",
               "server CPU per request"],
              [["SQLite (`control.db`)", report.rps(s['rps']), report.ms(s['p99_ms']), "1.00", "", "",
                report.cpu_us(s)],
               [f"PostgreSQL {x['pg_version']}", report.rps(p['rps']), report.ms(p['p99_ms']),
                f"**{report.r2(ratio)}**", f"≥ {READ_TARGET}", report.verdict(ratio >= READ_TARGET),
                report.cpu_us(p)]],
              "lrrrrcr")}

- PostgreSQL transactions during the warm-up and the runs: {xacts} for {requests}
  requests ({per} per request).
- Tenant database pool of the PostgreSQL tenantd after the runs: {pl['open']} handles
  open, {pl['hits']} hits, {pl['misses']} misses, {pl['evictions']} evictions.
"""


def _create(results):
    x = results[NAME]
    n = x["provision_tenants"]
    sqlite = results.get("provisioning")
    rows = []
    if sqlite:
        rows.append(["SQLite (`control.db`)", f"{sqlite['create_seconds']} s",
                     f"{sqlite['create_per_second']} /s", "1.00",
                     provisioning.verdict(sqlite["create_seconds"], sqlite["tenants"]),
                     f"{sqlite['server_peak_rss_mib']} MiB"])
    ratio = (report.r2(report.ratio(x["create_per_second"], sqlite["create_per_second"]))
             if sqlite else "n/a")
    rows.append([f"PostgreSQL {x['pg_version']}", f"{x['create_seconds']} s",
                 f"{x['create_per_second']} /s", f"**{ratio}**",
                 provisioning.verdict(x["create_seconds"], n), f"{x['server_peak_rss_mib']} MiB"])
    return f"""### Creating {n} tenants

- As in "Provisioning" above (a fresh `tenantd serve` on an empty data
  directory, {n} `POST /admin/v1/tenants` over {x['connections']} keep-alive
  connections), with the control store in a fresh database of a fresh
  PostgreSQL cluster. Each tenant's SQLite database is built, migrated and
  flushed first, then its rows are written in one PostgreSQL transaction.
- Checked after: the control store holds exactly {n} tenants.
- Target: under **{provisioning.TARGET_S} s** for 10,000 tenants, as on SQLite (smaller
  runs are scaled to 10,000).

{report.table(["control store", "time", "tenants/s", "ratio vs SQLite", "result", "server peak RSS"],
              rows, "lrrrcr")}

- CPU while creating: tenantd {x['server_cpu_s']} s, PostgreSQL {x['pg_cpu_s']} s;
  the control database afterwards: {x['control_db_mib']} MiB.
"""


def render(results):
    x = results[NAME]
    parts = [f"""## The control store on PostgreSQL

A PostgreSQL 15 cluster of the harness's own (`initdb` into a temporary
directory, a free loopback port, as the unprivileged `postgres` user, trust
authentication on loopback; fsync and synchronous commit on, as in
production), stopped and removed at the end.
"""]
    if "products_pg" in results.get("load", {}).get("median", {}):
        parts.append(_read(results))
    if "provision_tenants" in x:
        parts.append(_create(results))
    return "\n".join(parts)
