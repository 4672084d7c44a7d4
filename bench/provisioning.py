#!/usr/bin/env python3
"""Provisioning at scale, for `make bench` (scripts/bench.sh).

1. Starts `tenantd serve` on an empty data directory and creates N tenants
   through POST /admin/v1/tenants over a few keep-alive connections, each
   answer coming only once the tenant's database exists and is migrated.
   Reports the wall time and the server's peak resident memory (VmHWM).
2. Stops the server and runs `tenantd_next migrate --all` (tenantd plus one
   new migration, see tests/next_release) over those N databases, then runs
   it again (which must find nothing to do). Reports the wall time and the
   migrate process's peak resident memory.

Prints one JSON object on stdout; progress goes to stderr.
Usage: provisioning.py TENANTD TENANTD_NEXT WORK_DIR [COUNT] [CONNECTIONS]
"""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm_field_mib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def start_server(tenantd, data, token):
    port = free_port()
    env = dict(os.environ, TENANTD_ADMIN_TOKEN=token)
    log = open(os.path.join(data, "..", "provisioning-server.log"), "w")
    proc = subprocess.Popen(
        [tenantd, "serve", "--host", "127.0.0.1", "--port", str(port), "--data", data],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("provisioning: tenantd did not start")


def create_tenants(port, token, count, connections):
    """Creates `count` tenants; returns seconds taken."""
    next_index = [0]
    lock = threading.Lock()
    errors = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= count or errors:
                return
            body = json.dumps({"slug": f"bench-{i:05d}", "name": f"Bench {i}"})
            conn.request("POST", "/admin/v1/tenants", body, headers)
            res = conn.getresponse()
            data = res.read()
            if res.status != 201:
                errors.append(f"{res.status} {data[:200]!r}")
                return
            if i % 1000 == 999:
                print(f"provisioning: {i + 1} tenants created", file=sys.stderr)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    if errors:
        sys.exit("provisioning: create failed: " + errors[0])
    return elapsed


def run_migrate(binary, data, jobs):
    """Returns (seconds, JSON report, peak RSS in MiB) of one migrate run."""
    out_path = os.path.join(data, "..", "migrate-out.json")
    err_path = os.path.join(data, "..", "migrate-err.txt")
    start = time.monotonic()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(
            [binary, "migrate", "--all", "--jobs", str(jobs), "--json", "--data", data],
            stdout=out, stderr=err)
        # wait4 gives this one child's peak RSS (RUSAGE_CHILDREN would also
        # count the server started before).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        with open(err_path) as f:
            sys.exit(f"provisioning: migrate failed ({proc.returncode}): {f.read()[-500:]}")
    with open(out_path) as f:
        report = json.load(f)
    return elapsed, report, usage.ru_maxrss / 1024


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    tenantd, tenantd_next, work = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    connections = int(sys.argv[5]) if len(sys.argv) > 5 else 4
    data = os.path.join(work, "provisioning-data")
    os.makedirs(data, mode=0o700, exist_ok=True)  # tenantd refuses a data dir others can read
    token = secrets.token_hex(24)

    proc, port = start_server(tenantd, data, token)
    try:
        print(f"provisioning: creating {count} tenants over {connections} connections",
              file=sys.stderr)
        create_s = create_tenants(port, token, count, connections)
        server_hwm = vm_field_mib(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    jobs = os.cpu_count() or 2
    print(f"provisioning: tenantd_next migrate --all --jobs {jobs}", file=sys.stderr)
    migrate_s, first, migrate_rss = run_migrate(tenantd_next, data, jobs)
    again_s, second, _ = run_migrate(tenantd_next, data, jobs)
    print(json.dumps({
        "tenants": count,
        "connections": connections,
        "create_seconds": round(create_s, 2),
        "create_per_second": round(count / create_s, 1),
        "server_peak_rss_mib": round(server_hwm, 1),
        "migrate_jobs": jobs,
        "migrate_seconds": round(migrate_s, 2),
        "migrate_per_second": round(count / migrate_s, 1),
        "migrate_peak_rss_mib": round(migrate_rss, 1),
        "migrate_report": first,
        "rerun_seconds": round(again_s, 2),
        "rerun_report": second,
    }))


if __name__ == "__main__":
    main()
