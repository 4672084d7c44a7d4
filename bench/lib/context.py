"""The run's knobs (environment, as `make bench` documents them), paths and
the servers and fixtures the benchmark modules share, each started or
built on first use and stopped at the end."""

import os
import shutil
from dataclasses import dataclass

from lib import peers, servers
from lib.procs import PROCS, BenchError, log


def _int(name, default, minimum):
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise BenchError(f"{name} must be an integer >= {minimum}, got {raw!r}")
    return value


@dataclass
class Knobs:
    runs: int
    duration: int
    warmup: int
    min_time: str
    quiet_wait: int
    tenants: int
    many_tenants: int
    provision_tenants: int
    backup_products: int
    backup_mib: int
    files_runs: int
    out: str
    only: list

    @staticmethod
    def from_env():
        only = [x for x in os.environ.get("BENCH_ONLY", "").replace(",", " ").split() if x]
        return Knobs(
            runs=_int("BENCH_RUNS", 3, 1),
            duration=_int("BENCH_DURATION", 10, 1),
            warmup=_int("BENCH_WARMUP", 3, 0),
            min_time=os.environ.get("BENCH_MIN_TIME", "0.1"),
            quiet_wait=_int("BENCH_QUIET_WAIT", 60, 0),
            tenants=_int("BENCH_TENANTS", 1000, 1),
            many_tenants=_int("BENCH_MANY_TENANTS", 10000, 1),
            provision_tenants=_int("BENCH_PROVISION_TENANTS", 10000, 1),
            backup_products=_int("BENCH_BACKUP_PRODUCTS", 10000, 1),
            backup_mib=_int("BENCH_BACKUP_MIB", 1024, 16),
            files_runs=_int("BENCH_FILES_RUNS", 3, 1),
            out=os.environ.get("BENCH_OUT", "docs/benchmarks.md"),
            only=only)


class Context:
    def __init__(self, root, build_dir, knobs, work):
        self.root, self.build_dir, self.knobs, self.work = root, build_dir, knobs, work
        self.tenantd_bin = os.path.join(build_dir, "apps", "tenantd", "tenantd")
        self.hot_paths_bin = os.path.join(build_dir, "bench", "hot_paths_bench")
        self.variant_rate_bin = os.path.join(build_dir, "bench", "variant_rate")
        self.tenantd_next_bin = os.path.join(build_dir, "tests", "next_release", "tenantd_next")
        self._made = {}
        self._servers = []

    def _once(self, key, make):
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def _server(self, key, make):
        def start():
            srv = make().start()
            self._servers.append(srv)
            return srv
        return self._once(key, start)

    def running_servers(self):
        return list(self._servers)

    def settle_pids(self):
        """The tenantd processes: work one run leaves behind must not be charged to the next."""
        return [s.proc.pid for s in self._servers if isinstance(s, servers.Tenantd)]

    def stop_servers(self):
        for s in reversed(self._servers):
            s.stop()
        self._servers.clear()
        self._made.clear()

    # --- servers -----------------------------------------------------------

    def nginx(self):
        return self._server("nginx", lambda: servers.Nginx(self.work))

    def tenantd(self):
        """The server of the /healthz, whoami and 1,000-tenant product series."""
        return self._server("tenantd", lambda: servers.Tenantd(self.tenantd_bin, self.work, "tenantd"))

    def redis(self):
        return self._server("redis", lambda: servers.Redis(self.work))

    def tenantd_redis(self):
        """A second tenantd on the same data, keeping its rate limits in Redis."""
        main = self.tenantd()
        return self._server("tenantd_redis", lambda: servers.Tenantd(
            self.tenantd_bin, self.work, "tenantd-redis", env={"REDIS_URL": self.redis().url()},
            data=main.data))

    def tenantd_many(self):
        """A tenantd of its own for the BENCH_MANY_TENANTS series (default pool)."""
        return self._server("tenantd_many", lambda: servers.Tenantd(
            self.tenantd_bin, self.work, "tenantd-many"))

    def postgres(self):
        return self._server("postgres", lambda: servers.Postgres(self.work))

    def tenantd_pg(self):
        """A tenantd whose control store is on PostgreSQL (a database of its
        own in the run's cluster), for the product read beside the main one."""
        def make():
            url = self.postgres().create_database("bench_read")
            return servers.Tenantd(self.tenantd_bin, self.work, "tenantd-pg",
                                   env={"TENANTD_DATABASE_URL": url})
        return self._server("tenantd_pg", make)

    def cluster_nodes(self):
        """Three tenantd nodes on one data directory, one PostgreSQL database
        (the control store) and one Redis (rate limits, sessions)."""
        def make():
            url = self.postgres().create_database("bench_cluster")
            # The revocation timing polls each revoked key until it is
            # refused: those 401s are failed authentications from one
            # address, which must not trip the throttle (api.md §7) and
            # turn the next key's creation into a 429.
            env = {"TENANTD_DATABASE_URL": url, "REDIS_URL": self.redis().url(),
                   "TENANTD_TRUSTED_PROXIES": "127.0.0.1",
                   "TENANTD_AUTH_FAILURES_PER_IP": "1000000",
                   "TENANTD_AUTH_FAILURES_PER_KEY": "1000000"}
            first = servers.Tenantd(self.tenantd_bin, self.work, "cluster-1", env=env)
            nodes = [first]
            for i in (2, 3):
                node = servers.Tenantd(self.tenantd_bin, self.work, f"cluster-{i}", env=env,
                                       data=first.data)
                node.token = first.token
                node.env["TENANTD_ADMIN_TOKEN"] = first.token
                nodes.append(node)
            for node in nodes:
                self._servers.append(node.start())
            return nodes
        return self._once("cluster_nodes", make)

    def cluster_haproxy(self):
        return self._server("cluster_haproxy", lambda: servers.Haproxy(
            self.work, os.path.join(self.root, "deploy", "haproxy.cfg"), self.cluster_nodes()))

    def cluster_readers(self):
        """(targets file, answer bytes): the readers() set-up on the cluster."""
        def make():
            log(f"setting up {self.knobs.tenants} tenants on the cluster")
            pairs, size = servers.create_readers(self.cluster_nodes()[0], self.knobs.tenants,
                                                 "cluster")
            return servers.write_targets(pairs, os.path.join(self.work, "cluster.lua")), size
        return self._once("cluster_readers", make)

    def tenantd_forward(self):
        """A tenantd that trusts the loopback nginx of the forward-auth series."""
        return self._server("tenantd_forward", lambda: servers.Tenantd(
            self.tenantd_bin, self.work, "tenantd-forward",
            env={"TENANTD_TRUSTED_PROXIES": "127.0.0.1"}))

    def forward_nginx(self):
        """nginx of bench/nginx-forward-auth.conf, checking with tenantd_forward."""
        return self._server("forward_nginx", lambda: servers.ForwardAuthNginx(
            self.work, os.path.join(self.root, "bench", "nginx-forward-auth.conf"),
            self.tenantd_forward().port))

    def peer(self):
        def make():
            scratch = os.path.join(self.build_dir, "bench-peers")
            peers.install(scratch)
            data = os.path.join(self.work, "peer-data")
            pairs = peers.seed(scratch, data, self.knobs.tenants)
            self._made["peer_targets"] = servers.write_targets(
                pairs, os.path.join(self.work, "peer-targets.lua"))
            return peers.HonoPeer(scratch, data, self.work)
        return self._server("peer", make)

    # --- fixtures ----------------------------------------------------------

    def whoami(self):
        return self._once("whoami", lambda: servers.whoami_fixture(self.tenantd()))

    def readers(self):
        """(targets file, answer bytes) of BENCH_TENANTS tenants with a product each."""
        def make():
            log(f"setting up {self.knobs.tenants} tenants, each with an API key and a product")
            pairs, size = servers.create_readers(self.tenantd(), self.knobs.tenants, "reader")
            return servers.write_targets(pairs, os.path.join(self.work, "products.lua")), size
        return self._once("readers", make)

    def pg_readers(self):
        """(targets file, answer bytes): the readers() set-up on tenantd_pg."""
        def make():
            log(f"setting up {self.knobs.tenants} tenants on the tenantd with PostgreSQL")
            pairs, size = servers.create_readers(self.tenantd_pg(), self.knobs.tenants, "reader")
            return servers.write_targets(pairs, os.path.join(self.work, "products-pg.lua")), size
        return self._once("pg_readers", make)

    def forward_key(self):
        """A secret API key of a tenant on tenantd_forward."""
        return self._once("forward_key", lambda: servers.create_tenant(self.tenantd_forward(), "forward")[1])

    def many_readers(self):
        """(targets file, hot-tenant file, answer bytes) on tenantd_many."""
        def make():
            n = self.knobs.many_tenants
            log(f"setting up {n} tenants on a second tenantd (takes a while)")
            pairs, size = servers.create_readers(self.tenantd_many(), n, "many")
            return (servers.write_targets(pairs, os.path.join(self.work, "many.lua")),
                    servers.write_targets(pairs[:1], os.path.join(self.work, "hot.lua")), size)
        return self._once("many_readers", make)

    def peer_targets(self):
        self.peer()
        return self._made["peer_targets"]


def check_tools(ctx, chosen):
    for tool in ("wrk", "nginx", "curl", "redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} is not installed (run: make deps)")
    binaries = [ctx.tenantd_bin]
    if "hot_paths" in chosen:
        binaries.append(ctx.hot_paths_bin)
    if "provisioning" in chosen:
        binaries.append(ctx.tenantd_next_bin)
    if "images" in chosen:
        binaries.append(ctx.variant_rate_bin)
    if "cluster" in chosen and shutil.which("haproxy") is None:
        raise BenchError("haproxy is not installed (run: make deps)")
    if "postgres" in chosen or "cluster" in chosen:
        for tool in ("initdb", "postgres", "pg_isready", "psql", "createdb"):
            if not os.access(os.path.join(servers.PG_BIN, tool), os.X_OK):
                raise BenchError(f"{servers.PG_BIN}/{tool} not found: install postgresql-15 (make deps)")
    for path in binaries:
        if not os.access(path, os.X_OK):
            raise BenchError(f"{path} not found; build with -DTENANTD_BUILD_BENCH=ON (make release)")


def stop_everything():
    PROCS.stop_all()
