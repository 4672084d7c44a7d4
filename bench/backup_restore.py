#!/usr/bin/env python3
"""Backup and restore of one big tenant, for `make bench` (scripts/bench.sh).

1. Starts `tenantd serve` on an empty data directory, creates a tenant, and
   fills it through the API: PRODUCTS products (POST /v1/products over a few
   keep-alive connections) and FILE_MIB MiB of files in FILES uploads
   (POST /v1/files, application/octet-stream + X-Filename, streamed in
   chunks of random bytes). Should the server not have the upload route,
   the files are put in place as the files feature stores them (blob under
   <data>/storage/uploads/<tenant>/yyyy/mm/dd/<id>, then its row), and the
   report says so.
2. Times POST /admin/v1/tenants/{id}/backups (the archive written, fsynced
   and renamed) while sampling the server's resident memory, then
   POST /admin/v1/tenants/{id}/restore of that backup.

Prints one JSON object on stdout; progress goes to stderr.
Usage: backup_restore.py TENANTD WORK_DIR [PRODUCTS] [FILE_MIB] [FILES]
"""

import hashlib
import http.client
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start_server(tenantd, data, token):
    port = free_port()
    env = dict(os.environ, TENANTD_ADMIN_TOKEN=token)
    log = open(os.path.join(data, "..", "backup-server.log"), "w")
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
    sys.exit("backup: tenantd did not start")


def call(port, method, path, body=None, headers=None, timeout=3600):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, body, headers or {})
    r = c.getresponse()
    return r.status, r.read()


def create_products(port, creds, count, connections=4):
    next_index = [0]
    lock = threading.Lock()
    errors = []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = dict(creds, **{"Content-Type": "application/json"})
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= count or errors:
                return
            body = json.dumps({"sku": f"SKU-{i:06d}", "name": f"Product {i}",
                               "price_cents": 100 + i, "attributes": {"n": i}})
            conn.request("POST", "/v1/products", body, headers)
            res = conn.getresponse()
            res.read()
            if res.status != 201:
                errors.append(res.status)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit(f"backup: creating products failed: {errors[:3]}")


def upload(port, creds, size, index):
    """Streams `size` random bytes to POST /v1/files; False if the route is missing."""
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
    try:
        while sent < size:
            n = min(len(chunk), size - sent)
            c.send(chunk[:n])
            sent += n
    except OSError:
        pass
    r = c.getresponse()
    r.read()
    if r.status in (404, 405):
        return False
    if r.status != 201:
        sys.exit(f"backup: upload failed: {r.status}")
    return True


def place_file(data, tenant_id, size, index):
    """The files feature's layout, written directly (no upload route)."""
    file_id = "fil_" + secrets.token_hex(13).upper()[:26]
    key = time.strftime("%Y/%m/%d/", time.gmtime()) + file_id
    path = os.path.join(data, "storage", "uploads", tenant_id, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    h = hashlib.sha256()
    chunk = os.urandom(1 << 20)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(len(chunk), left)
            f.write(chunk[:n])
            h.update(chunk[:n])
            left -= n
    db = sqlite3.connect(os.path.join(data, "tenants", tenant_id + ".db"), timeout=30)
    db.execute("INSERT INTO files (id, filename, content_type, size, sha256, storage_key,"
               " created_at) VALUES (?, ?, 'application/octet-stream', ?, ?, ?, ?)",
               (file_id, f"bench-{index}.bin", size, h.hexdigest(), key,
                time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())))
    db.commit()
    db.close()


def timed_with_rss(pid, fn):
    peak = [rss_mib(pid)]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], rss_mib(pid))
            except OSError:
                return
            time.sleep(0.05)

    t = threading.Thread(target=sample)
    t.start()
    start = time.time()
    result = fn()
    seconds = time.time() - start
    done.set()
    t.join()
    return result, seconds, peak[0]


def main():
    tenantd, work = sys.argv[1], sys.argv[2]
    products = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    file_mib = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
    files = int(sys.argv[5]) if len(sys.argv) > 5 else 16
    data = os.path.join(work, "backup-data")
    os.makedirs(data, mode=0o700, exist_ok=True)  # tenantd refuses a data dir others can read
    token = secrets.token_hex(24)
    proc, port = start_server(tenantd, data, token)
    admin = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    try:
        status, body = call(port, "POST", "/admin/v1/tenants",
                            json.dumps({"slug": "bench-backup", "name": "Bench"}), admin)
        if status != 201:
            sys.exit(f"backup: create tenant: {status} {body[:200]}")
        created = json.loads(body)
        tenant_id = created["tenant"]["id"]
        creds = {"X-App-Key": created["credentials"]["app_key"],
                 "X-App-Secret": created["credentials"]["app_secret"]}
        print(f"backup: {products} products", file=sys.stderr)
        create_products(port, creds, products)
        size = file_mib * (1 << 20) // files
        via_api = True
        print(f"backup: {files} files of {size >> 20} MiB", file=sys.stderr)
        for i in range(files):
            if via_api and not upload(port, creds, size, i):
                via_api = False
            if not via_api:
                place_file(data, tenant_id, size, i)
        rss_before = rss_mib(proc.pid)

        print("backup: backing up", file=sys.stderr)
        (status, body), backup_s, backup_rss = timed_with_rss(
            proc.pid, lambda: call(port, "POST", f"/admin/v1/tenants/{tenant_id}/backups",
                                   None, {"Authorization": "Bearer " + token}))
        if status != 201:
            sys.exit(f"backup: backup failed: {status} {body[:300]}")
        backup = json.loads(body)["backup"]

        print("backup: restoring", file=sys.stderr)
        (status, body), restore_s, restore_rss = timed_with_rss(
            proc.pid, lambda: call(port, "POST", f"/admin/v1/tenants/{tenant_id}/restore",
                                   json.dumps({"backup_id": backup["id"]}), admin))
        if status != 200:
            sys.exit(f"backup: restore failed: {status} {body[:300]}")
        total_mib = file_mib
        print(json.dumps({
            "products": products,
            "files": files,
            "file_mib": file_mib,
            "files_via_api": via_api,
            "archive_mib": round(backup["size"] / (1 << 20), 1),
            "backup_seconds": round(backup_s, 2),
            "backup_mib_per_second": round(total_mib / backup_s, 1),
            "restore_seconds": round(restore_s, 2),
            "restore_mib_per_second": round(total_mib / restore_s, 1),
            "server_rss_before_mib": round(rss_before, 1),
            "server_peak_rss_backup_mib": round(backup_rss, 1),
            "server_peak_rss_restore_mib": round(restore_rss, 1),
        }))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
