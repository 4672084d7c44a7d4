"""Backup and restore of one big tenant: BENCH_BACKUP_PRODUCTS products and
BENCH_BACKUP_MIB MiB of files (16 uploads), backed up and restored through
the admin API while the server's resident memory is sampled."""

import http.client
import json
import os
import shutil
import threading
import time

from lib import report
from lib.procs import BenchError, log, request, vm_mib
from lib.servers import Tenantd

NAME = "backup"
FILES = 16


def create_products(port, creds, count, connections=4):
    state = {"next": 0, "errors": []}
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = dict(creds, **{"Content-Type": "application/json"})
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= count or state["errors"]:
                return
            conn.request("POST", "/v1/products", json.dumps(
                {"sku": f"SKU-{i:06d}", "name": f"Product {i}", "price_cents": 100 + i,
                 "attributes": {"n": i}}), headers)
            res = conn.getresponse()
            res.read()
            if res.status != 201:
                state["errors"].append(res.status)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if state["errors"]:
        raise BenchError(f"backup: creating products failed: {state['errors'][:3]}")


def upload(port, creds, size, index):
    """Streams `size` random bytes to POST /v1/files."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.putrequest("POST", "/v1/files")
    for k, v in creds.items():
        c.putheader(k, v)
    c.putheader("Content-Type", "application/octet-stream")
    c.putheader("X-Filename", f"bench-{index}.bin")
    c.putheader("Content-Length", str(size))
    c.endheaders()
    chunk = os.urandom(1 << 20)
    sent = 0
    while sent < size:
        n = min(len(chunk), size - sent)
        c.send(chunk[:n])
        sent += n
    r = c.getresponse()
    body = r.read()
    if r.status != 201:
        raise BenchError(f"backup: upload failed: {r.status} {body[:200]!r}")


def timed_with_rss(pid, fn):
    """(fn(), seconds, peak VmRSS in MiB sampled every 50 ms)."""
    peak = [vm_mib(pid, "VmRSS")]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], vm_mib(pid, "VmRSS"))
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    start = time.monotonic()
    try:
        result = fn()
    finally:
        done.set()
        t.join()
    return result, time.monotonic() - start, peak[0]


def run(ctx):
    products, file_mib = ctx.knobs.backup_products, ctx.knobs.backup_mib
    server = Tenantd(ctx.tenantd_bin, ctx.work, "backup").start()
    try:
        created = server.call("POST", "/admin/v1/tenants", server.admin,
                              {"slug": "bench-backup", "name": "Bench"})
        tenant_id = created["tenant"]["id"]
        creds = {"X-App-Key": created["credentials"]["app_key"],
                 "X-App-Secret": created["credentials"]["app_secret"]}
        log(f"backup: {products} products")
        create_products(server.port, creds, products)
        size = file_mib * (1 << 20) // FILES
        log(f"backup: {FILES} files of {size >> 20} MiB")
        for i in range(FILES):
            upload(server.port, creds, size, i)
        rss_before = vm_mib(server.proc.pid, "VmRSS")
        auth = {"Authorization": "Bearer " + server.token}

        log("backup: backing up")
        (status, body, _), backup_s, backup_rss = timed_with_rss(server.proc.pid, lambda: request(
            server.port, "POST", f"/admin/v1/tenants/{tenant_id}/backups", auth, timeout=3600))
        if status != 201:
            raise BenchError(f"backup: backup failed: {status} {body[:300]!r}")
        backup = json.loads(body)["backup"]
        log("backup: restoring")
        (status, body, _), restore_s, restore_rss = timed_with_rss(server.proc.pid, lambda: request(
            server.port, "POST", f"/admin/v1/tenants/{tenant_id}/restore", server.admin,
            json.dumps({"backup_id": backup["id"]}), timeout=3600))
        if status != 200:
            raise BenchError(f"backup: restore failed: {status} {body[:300]!r}")
    finally:
        server.stop()
    shutil.rmtree(server.data, ignore_errors=True)
    return {"products": products, "files": FILES, "file_mib": file_mib,
            "archive_mib": round(backup["size"] / (1 << 20), 1),
            "backup_seconds": round(backup_s, 2), "backup_mib_per_second": round(file_mib / backup_s, 1),
            "restore_seconds": round(restore_s, 2),
            "restore_mib_per_second": round(file_mib / restore_s, 1),
            "server_rss_before_mib": round(rss_before, 1),
            "server_peak_rss_backup_mib": round(backup_rss, 1),
            "server_peak_rss_restore_mib": round(restore_rss, 1)}


def render(results):
    x = results[NAME]
    return f"""## Backup and restore of a tenant with {x['products']} products and {x['file_mib']} MiB of files

### Method

- `bench/suites/backup_restore.py`: a fresh `tenantd serve`; one tenant with
  {x['products']} products (`POST /v1/products`) and {x['file_mib']} MiB of random
  (incompressible) bytes in {x['files']} files, uploaded through `POST /v1/files`
  (`application/octet-stream`, streamed).
- Backup: `POST /admin/v1/tenants/{{id}}/backups`, timed until the answer,
  which comes once the archive (database snapshot, every file, manifest with
  SHA-256s; gzip level 1) is written, fsynced and renamed into place.
- Restore: `POST /admin/v1/tenants/{{id}}/restore` of that backup, timed until
  the answer: extract and verify every checksum, migrate, swap the file tree,
  copy the database, fsync.
- Server resident memory sampled every 50 ms during each.

### Results

{report.table(["step", "time", "throughput", "server peak RSS"],
              [[f"backup (archive {x['archive_mib']} MiB)", f"{x['backup_seconds']} s",
                f"{x['backup_mib_per_second']} MiB/s", f"{x['server_peak_rss_backup_mib']} MiB"],
               ["restore", f"{x['restore_seconds']} s", f"{x['restore_mib_per_second']} MiB/s",
                f"{x['server_peak_rss_restore_mib']} MiB"]])}

The server held {x['server_rss_before_mib']} MiB before the backup: memory does not
grow with the size of the files (they stream through 1 MiB buffers).
"""
