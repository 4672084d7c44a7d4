"""The Hono + better-sqlite3 peer (bench/peers): installed with `npm ci`
in a scratch copy, seeded with its own data directory, run as a node:cluster
of two workers with every tenant handle cached (its best case)."""

import hashlib
import os
import shutil
import subprocess

from lib.procs import PROCS, BenchError, descendants, free_port, log, tail, vm_mib, wait_http

PEERS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "peers")


def node_version():
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


def install(scratch):
    """Copies bench/peers to `scratch` and runs `npm ci` in its hono folder,
    unless node_modules there came from the same package-lock.json."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} is not installed (run: make deps)")
    lock = os.path.join(PEERS_DIR, "hono", "package-lock.json")
    with open(lock, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(scratch, "hono", "node_modules", ".bench-lock-sha256")
    installed = os.path.exists(stamp) and open(stamp).read().strip() == digest
    # The sources are copied afresh every run; node_modules is kept.
    for name in ("common", "seed-data.py"):
        src, dst = os.path.join(PEERS_DIR, name), os.path.join(scratch, name)
        if os.path.isdir(src):
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    os.makedirs(os.path.join(scratch, "hono"), exist_ok=True)
    for name in ("server.js", "package.json", "package-lock.json"):
        shutil.copy2(os.path.join(PEERS_DIR, "hono", name), os.path.join(scratch, "hono", name))
    if installed:
        return
    log("peers: npm ci in " + os.path.join(scratch, "hono") + " (builds better-sqlite3 once)")
    out = os.path.join(scratch, "npm-ci.log")
    with open(out, "wb") as f:
        rc = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=os.path.join(scratch, "hono"),
                            stdout=f, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        raise BenchError(f"npm ci for the Hono peer failed:\n{tail(out, 20)}")
    with open(stamp, "w") as f:
        f.write(digest + "\n")


def seed(scratch, data, tenants):
    """A data directory of `tenants` tenants with one product each;
    returns [(api key, product id)]."""
    subprocess.run(["python3", os.path.join(scratch, "seed-data.py"), data, "--tenants", str(tenants),
                    "--products", "1"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(os.path.join(data, "keys.txt")) as f:
        return [tuple(line.split()) for line in f if line.strip()]


class HonoPeer:
    def __init__(self, scratch, data, work):
        self.scratch, self.data, self.work = scratch, data, work
        self.proc = None
        self.port = None

    def start(self):
        log_path = os.path.join(self.work, "hono.log")
        for _ in range(3):
            self.port = free_port()
            env = dict(os.environ, PORT=str(self.port), DATA_DIR=self.data, WORKERS="2",
                       LRU_CAPACITY="1024")
            self.proc = PROCS.start(["node", os.path.join(self.scratch, "hono", "server.js")],
                                    log_path, env=env)
            if wait_http(self.proc, self.port):
                log(f"hono peer pid {self.proc.pid} on port {self.port}")
                return self
            PROCS.stop(self.proc)
        raise BenchError(f"the Hono peer did not start:\n{tail(log_path)}")

    def pids(self):
        return descendants(self.proc.pid)

    def rss_mib(self):
        return sum(vm_mib(p, "VmHWM") for p in self.pids())

    def stop(self):
        PROCS.stop(self.proc)
