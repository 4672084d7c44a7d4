"""The servers of a run: tenantd (on its own data directory, with the bench
plan's limits out of reach), nginx (`return 200` baselines), redis-server,
PostgreSQL 15; and the tenants they are loaded with, created through
tenantd's HTTP API."""

import hashlib
import hmac
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from email.utils import formatdate

from lib.procs import PROCS, BenchError, descendants, free_port, log, request, tail, wait_http

# wrk sends far more than a free tenant's 600 requests a minute: the bench
# plan lifts the limits out of reach, so every series measures admitted
# requests, with the rate-limit check still paid on each of them.
BENCH_CONFIG = """[plans.free]
requests_per_minute = 1000000000
auth_requests_per_minute = 1000000000
storage_bytes = 0
"""


def write_config(work):
    path = os.path.join(work, "tenantd.toml")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(BENCH_CONFIG)
    return path


class Tenantd:
    """`tenantd serve` on 127.0.0.1, a free port and its own data directory."""

    def __init__(self, binary, work, name, env=None, data=None, config=True):
        self.binary, self.work, self.name = binary, work, name
        self.data = data or os.path.join(work, f"{name}-data")
        self.token = secrets.token_hex(24)
        self.env = dict(os.environ, TENANTD_ADMIN_TOKEN=self.token, **(env or {}))
        self.config = write_config(work) if config else None
        self.proc = None
        self.port = None

    def start(self):
        os.makedirs(self.data, exist_ok=True)
        log_path = os.path.join(self.work, f"{self.name}.log")
        for _ in range(3):
            self.port = free_port()
            argv = [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                    "--data", self.data]
            if self.config:
                argv += ["--config", self.config]
            self.proc = PROCS.start(argv, log_path, env=self.env)
            if wait_http(self.proc, self.port):
                log(f"{self.name} pid {self.proc.pid} on port {self.port}")
                return self
            PROCS.stop(self.proc)
        raise BenchError(f"{self.name} did not start:\n{tail(log_path)}")

    def stop(self):
        PROCS.stop(self.proc)

    def pids(self):
        return [self.proc.pid]

    @property
    def admin(self):
        return {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}

    def call(self, method, path, headers, body=None, want=(200, 201)):
        status, data, _ = request(self.port, method, path, headers,
                                  json.dumps(body) if body is not None else None)
        if status not in want:
            raise BenchError(f"{self.name}: {method} {path} answered {status}: {data[:300]!r}")
        return json.loads(data) if data else {}

    def metrics(self):
        """Prometheus samples as {'name{labels}': value}."""
        _, data, _ = request(self.port, "GET", "/metrics")
        out = {}
        for line in data.decode().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                try:
                    out[name] = float(value)
                except ValueError:
                    pass
        return out


def create_tenant(server, slug, plan=None):
    """A tenant (on `plan`, else the default) and a secret API key: (created
    document, api key)."""
    body = {"slug": slug, "name": slug}
    if plan:
        body["plan"] = plan
    created = server.call("POST", "/admin/v1/tenants", server.admin, body)
    creds = created["credentials"]
    app = {"X-App-Key": creds["app_key"], "X-App-Secret": creds["app_secret"],
           "Content-Type": "application/json"}
    key = server.call("POST", "/v1/api-keys", app, {"name": "bench"})["secret"]
    return created, key


def whoami_fixture(server):
    """The tenant of the authenticated series: app key and secret, an API key
    and the `sid` cookie of a session started by a signed request."""
    created, key = create_tenant(server, "bench")
    creds = created["credentials"]
    date = formatdate(usegmt=True)
    empty = hashlib.sha256(b"").hexdigest()
    canonical = f"GET\n/v1/whoami\n{date}\n{empty}\nbench-cookie".encode()
    signature = hmac.new(creds["app_secret"].encode(), canonical, hashlib.sha256).hexdigest()
    status, _, headers = request(server.port, "GET", "/v1/whoami", {
        "X-App-Key": creds["app_key"], "X-Date": date, "X-Content-Sha256": empty,
        "X-Nonce": "bench-cookie", "X-App-Signature": signature})
    cookie = next((v.split(";")[0] for k, v in headers
                   if k.lower() == "set-cookie" and v.startswith("sid=")), None)
    if status != 200 or not cookie:
        raise BenchError(f"could not start the bench session ({status})")
    return {"app_key": creds["app_key"], "app_secret": creds["app_secret"], "api_key": key,
            "cookie": cookie}


def create_readers(server, count, prefix, connections=8):
    """`count` tenants, each with an API key and one product, read back once.
    Returns ([(api key, product id)], bytes of one product answer)."""
    pairs = [None] * count
    state = {"next": 0, "error": None, "bytes": 0}
    lock = threading.Lock()

    def call(conn, method, path, headers, body=None):
        conn.request(method, path, json.dumps(body) if body is not None else None,
                     dict(headers, **({"Content-Type": "application/json"} if body else {})))
        res = conn.getresponse()
        return res.status, res.read()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        admin = {"Authorization": "Bearer " + server.token}
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
                if i >= count or state["error"]:
                    return
            try:
                status, data = call(conn, "POST", "/admin/v1/tenants", admin,
                                    {"slug": f"{prefix}-{i:05d}", "name": f"Reader {i}"})
                if status != 201:
                    raise BenchError(f"create tenant: {status} {data[:200]!r}")
                creds = json.loads(data)["credentials"]
                app = {"X-App-Key": creds["app_key"], "X-App-Secret": creds["app_secret"]}
                status, data = call(conn, "POST", "/v1/api-keys", app, {"name": "bench"})
                if status != 201:
                    raise BenchError(f"create API key: {status} {data[:200]!r}")
                bearer = {"Authorization": "Bearer " + json.loads(data)["secret"]}
                status, data = call(conn, "POST", "/v1/products", bearer, {
                    "sku": "SKU-1", "name": f"Widget of reader {i}", "price_cents": 1999,
                    "currency": "EUR", "attributes": {"colour": "blue", "size": "M"}})
                if status != 201:
                    raise BenchError(f"create product: {status} {data[:200]!r}")
                product = json.loads(data)["product"]["id"]
                status, data = call(conn, "GET", "/v1/products/" + product, bearer)
                if status != 200:
                    raise BenchError(f"read product: {status} {data[:200]!r}")
                state["bytes"] = len(data)
                pairs[i] = (bearer["Authorization"][7:], product)
                if (i + 1) % 1000 == 0:
                    log(f"{server.name}: {i + 1} tenants set up")
            except (BenchError, OSError) as e:
                state["error"] = f"{server.name}: {e}"
                return

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if state["error"]:
        raise BenchError(state["error"])
    return pairs, state["bytes"]


def write_targets(pairs, path):
    """The Lua table bench/wrk/products_random.lua reads."""
    with open(path, "w") as f:
        f.write("return {\n")
        for key, product in pairs:
            f.write(f'  {{"{key}", "{product}"}},\n')
        f.write("}\n")
    return path


# The baseline of the product reads: a product answer of the shape and size
# tenantd sends (tenantd's exact size is in the report).
NGINX_PRODUCT_BODY = ('{"product":{"id":"prd_01JBENCHBENCHBENCHBENCHBEN","sku":"SKU-1",'
                      '"name":"Widget of reader 123","price_cents":1999,"currency":"EUR",'
                      '"attributes":{"colour":"blue","size":"M"},"version":1,'
                      '"created_at":"2026-11-23T05:00:00.000Z",'
                      '"updated_at":"2026-11-23T05:00:00.000Z"}}')

NGINX_CONF = """{user}worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/logs/error.log warn;

events {{
  worker_connections 4096;
}}

http {{
  # An access line of the same facts and about the same length as tenantd's
  # text line, buffered like tenantd's asynchronous writer (which flushes every
  # 50 ms or 256 KiB): both servers pay for an access log.
  log_format tenantd_like '$time_iso8601 $status $request_method $request_uri '
                          '${{request_time}}s ${{body_bytes_sent}}B tenant=- id=$request_id '
                          'ip=$remote_addr ua="$http_user_agent" ref="$http_referer"';
  access_log {dir}/logs/access.log tenantd_like buffer=256k flush=1s;

  keepalive_requests 1000000;
  keepalive_timeout 65s;
  client_body_temp_path {dir}/tmp/body;
  proxy_temp_path {dir}/tmp/proxy;
  fastcgi_temp_path {dir}/tmp/fastcgi;
  uwsgi_temp_path {dir}/tmp/uwsgi;
  scgi_temp_path {dir}/tmp/scgi;

  server {{
    listen 127.0.0.1:{port};
    location = /healthz {{
      default_type application/json;
      return 200 '{{"ok":true}}';
    }}
    location = /product {{
      default_type application/json;
      return 200 '{product}';
    }}
    location / {{
      return 404;
    }}
  }}
}}
"""


class Nginx:
    """nginx in the foreground with a generated configuration (return 200)."""

    def __init__(self, work):
        self.dir = os.path.join(work, "nginx")
        self.proc = None
        self.port = None

    def start(self):
        d = self.dir
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        for _ in range(3):
            self.port = free_port()
            with open(conf, "w") as f:
                # As root, nginx would switch its workers to 'nobody'; keep the current user.
                f.write(NGINX_CONF.format(user="user root;\n" if os.geteuid() == 0 else "",
                                          dir=d, port=self.port, product=NGINX_PRODUCT_BODY))
            base = ["nginx", "-p", d, "-e", f"{d}/logs/error.log", "-c", conf]
            test = subprocess.run(base + ["-t"], capture_output=True, text=True)
            if test.returncode != 0:
                raise BenchError(f"nginx rejected {conf}:\n{test.stderr}")
            self.proc = PROCS.start(base + ["-g", "daemon off;"], os.path.join(d, "stdout.txt"))
            if wait_http(self.proc, self.port):
                log(f"nginx pid {self.proc.pid} on port {self.port}")
                return self
            PROCS.stop(self.proc)
        raise BenchError(f"nginx did not start:\n{tail(os.path.join(d, 'logs', 'error.log'))}")

    def pids(self):
        return descendants(self.proc.pid)

    def stop(self):
        PROCS.stop(self.proc)


class ForwardAuthNginx:
    """nginx of bench/nginx-forward-auth.conf (a template: @AUTH_PORT@ checks
    every request with tenantd's /auth/v1/check before passing it to the
    upstream at @APP_PORT@, @PLAIN_PORT@ passes it without asking), in the
    foreground on free ports, checking with the tenantd at `tenantd_port`."""

    def __init__(self, work, template, tenantd_port):
        self.dir = os.path.join(work, "nginx-forward-auth")
        self.template, self.tenantd_port = template, tenantd_port
        self.proc = None
        self.auth_port = self.plain_port = self.app_port = None

    def _write(self, conf):
        with open(self.template) as f:
            text = f.read()
        values = {"@USER@": "user root;" if os.geteuid() == 0 else "", "@DIR@": self.dir,
                  "@AUTH_PORT@": self.auth_port, "@PLAIN_PORT@": self.plain_port,
                  "@APP_PORT@": self.app_port, "@TENANTD_PORT@": self.tenantd_port}
        for key, value in values.items():
            if key not in text:
                raise BenchError(f"{self.template} lacks the placeholder {key}")
            text = text.replace(key, str(value))
        with open(conf, "w") as f:
            f.write(text)

    def start(self):
        d = self.dir
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        log_path = os.path.join(d, "logs", "error.log")
        for _ in range(3):
            self.auth_port, self.plain_port, self.app_port = free_port(), free_port(), free_port()
            self._write(conf)
            base = ["nginx", "-p", d + "/", "-e", log_path, "-c", conf]
            test = subprocess.run(base + ["-t"], capture_output=True, text=True)
            if test.returncode != 0:
                raise BenchError(f"nginx rejected {conf}:\n{test.stderr}")
            self.proc = PROCS.start(base + ["-g", "daemon off;"], os.path.join(d, "stdout.txt"))
            if wait_http(self.proc, self.plain_port, "/orders"):
                log(f"nginx (forward auth) pid {self.proc.pid} on ports {self.auth_port} (auth), "
                    f"{self.plain_port} (no auth), {self.app_port} (upstream)")
                return self
            PROCS.stop(self.proc)
        raise BenchError(f"nginx (forward auth) did not start:\n{tail(log_path)}")

    def pids(self):
        return descendants(self.proc.pid)

    def stop(self):
        PROCS.stop(self.proc)


class Endpoint:
    """What a series loads when the server under test is several processes:
    a port, and every process charged with the CPU (nginx and tenantd behind
    it; tenantd and its PostgreSQL)."""

    def __init__(self, port, *servers):
        self.port, self.servers = port, servers

    def pids(self):
        return [pid for s in self.servers for pid in s.pids()]


class Redis:
    """redis-server on a free loopback port, no persistence."""

    def __init__(self, work):
        self.dir = os.path.join(work, "redis")
        self.proc = None
        self.port = None

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.proc = PROCS.start(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", self.dir],
            os.path.join(self.dir, "redis.out"))
        for _ in range(100):
            if self.cli("ping").strip() == "PONG":
                log(f"redis-server pid {self.proc.pid} on port {self.port}")
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise BenchError(f"redis-server did not answer PING:\n{tail(self.dir + '/redis.out')}")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
                              capture_output=True, text=True).stdout

    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        PROCS.stop(self.proc)


PG_BIN = "/usr/lib/postgresql/15/bin"


class Postgres:
    """A PostgreSQL 15 cluster of the run's own: initdb into a temporary
    directory, the server on a free loopback port, as the `postgres` user
    when the harness runs as root (PostgreSQL refuses to run as root).
    Durable as in production (fsync and synchronous commit on): the figures
    are those of a real control store. Trust authentication, loopback only.
    Stopped with a fast shutdown (SIGINT) and its directory removed by
    stop(), also when the run fails (PROCS.stop_all); its log is kept in
    the work directory."""

    ROLE = "tenantd"

    def __init__(self, work):
        self.work = work
        self.log_path = os.path.join(work, "postgres.log")
        self.dir = None
        self.proc = None
        self.port = None
        self.user = "postgres" if os.geteuid() == 0 else None

    def _pg(self, tool, *args):
        """Runs a PostgreSQL client tool; BenchError with its output if it fails."""
        argv = [os.path.join(PG_BIN, tool), *args]
        out = subprocess.run(argv, capture_output=True, text=True, cwd=self.dir, user=self.user)
        if out.returncode != 0:
            raise BenchError(f"postgres: {tool} failed ({out.returncode}): "
                             f"{(out.stderr or out.stdout).strip()[-1000:]}")
        return out.stdout

    def _make_cluster(self):
        if not os.access(os.path.join(PG_BIN, "initdb"), os.X_OK):
            raise BenchError(f"{PG_BIN}/initdb not found: install postgresql-15 (make deps)")
        self.dir = tempfile.mkdtemp(prefix="tenantd-bench-pg.", dir=os.environ.get("TMPDIR", "/tmp"))
        if self.user:
            try:
                pg = pwd.getpwnam(self.user)
            except KeyError:
                self._remove()
                raise BenchError("no `postgres` user: install postgresql-15 (make deps)") from None
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
        try:
            self._pg("initdb", "-D", os.path.join(self.dir, "data"), "-U", "postgres", "--auth=trust",
                     "--no-instructions", "-E", "UTF8", "--locale=C.UTF-8")
        except BenchError:
            self._remove()
            raise

    def _remove(self):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _ready(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            ready = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-q", "-h", "127.0.0.1",
                                    "-p", str(self.port)], capture_output=True)
            if ready.returncode == 0:
                return True
            time.sleep(0.1)
        return False

    def start(self):
        self._make_cluster()
        for _ in range(3):
            self.port = free_port()
            self.proc = PROCS.start(
                [os.path.join(PG_BIN, "postgres"), "-D", os.path.join(self.dir, "data"),
                 "-p", str(self.port), "-k", self.dir, "-c", "listen_addresses=127.0.0.1"],
                self.log_path, cwd=self.dir, user=self.user, stop_signal=signal.SIGINT,
                cleanup=self._remove)
            if self._ready():
                log(f"postgres pid {self.proc.pid} on port {self.port} ({self.dir})")
                self._pg("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qAt",
                         "-v", "ON_ERROR_STOP=1", "-c", f"CREATE ROLE {self.ROLE} LOGIN")
                return self
            exited = self.proc.poll() is not None
            PROCS.stop(self.proc)  # removes the cluster's directory too
            if not exited:
                raise BenchError(f"postgres did not accept connections in 30 s:\n{tail(self.log_path)}")
            # Most likely another process took the port first: a new cluster on a new port.
            self._make_cluster()
        self._remove()
        raise BenchError(f"postgres did not start:\n{tail(self.log_path)}")

    def create_database(self, name):
        """A new database owned by the unprivileged role tenantd connects as
        (docs/operations.md, Running on PostgreSQL: no superuser needed);
        returns its TENANTD_DATABASE_URL."""
        self._pg("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                 "-O", self.ROLE, name)
        return f"postgres://{self.ROLE}@127.0.0.1:{self.port}/{name}"

    def sql(self, database, query):
        """One query as the superuser; its rows as text lines."""
        return self._pg("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-qAt",
                        "-v", "ON_ERROR_STOP=1", "-d", database, "-c", query).splitlines()

    def version(self):
        return self.sql("postgres", "SHOW server_version")[0].split()[0]

    def pids(self):
        return descendants(self.proc.pid)

    def stop(self):
        PROCS.stop(self.proc)


class Haproxy:
    """haproxy of deploy/haproxy.cfg, as shipped (its addresses come from the
    environment), in front of three tenantd nodes."""

    def __init__(self, work, config, nodes):
        self.dir = os.path.join(work, "haproxy")
        self.config, self.nodes = config, nodes
        self.proc = None
        self.port = None

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        env = dict(os.environ, TENANTD_LB_BIND=f"127.0.0.1:{self.port}",
                   TENANTD_LB_SOCKET=os.path.join(self.dir, "admin.sock"))
        for i, node in enumerate(self.nodes, 1):
            env[f"TENANTD_NODE{i}"] = f"127.0.0.1:{node.port}"
        log_path = os.path.join(self.dir, "haproxy.out")
        self.proc = PROCS.start(["haproxy", "-db", "-f", self.config], log_path, env=env)
        if not wait_http(self.proc, self.port):
            raise BenchError(f"haproxy did not start:\n{tail(log_path)}")
        log(f"haproxy pid {self.proc.pid} on port {self.port}")
        return self

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        PROCS.stop(self.proc)
