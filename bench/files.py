#!/usr/bin/env python3
"""Files of any size, for `make bench` (scripts/bench.sh).

1. Throughput: one 1 GiB file, uploaded to tenantd (POST /v1/files, raw
   body streamed by curl -T) and downloaded from it (GET /v1/files/{id},
   curl -o /dev/null), against nginx serving the same file with sendfile,
   in the same run. Each transfer runs RUNS times, alternating servers; the
   median counts. The file is in the page cache for both servers, so the
   comparison is of the servers, not of the disk. An upload is durable
   (fsync) before it is answered, so the disk bounds it: the same run also
   times writing 1 GiB + fsync to the data directory's disk from Python.
2. Memory: tenantd's peak resident memory (VmHWM, reset between steps
   through /proc/PID/clear_refs) during a 64 MiB upload + download and
   during a 4 GiB one: streaming must keep it flat.

Prints one JSON object on stdout; progress goes to stderr.
Usage: files.py TENANTD WORK_DIR [RUNS]
"""

import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time

GIB = 1 << 30
MIB = 1 << 20


def log(msg):
    print(f"files: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path, proc):
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"files: server exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("files: server did not start")


def make_file(path, size):
    """Random-looking bytes (not zeros: nothing may compress or skip them)."""
    block = os.urandom(4 * MIB)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
    # Warm the page cache so both servers read from memory.
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)


def curl_seconds(args):
    """Runs curl, returns (seconds, http status) from its own timers."""
    out = subprocess.run(
        ["curl", "-s", "-S", "--max-time", "600", "-w", "%{time_total} %{http_code}"] + args,
        check=True, capture_output=True, text=True).stdout
    seconds, status = out.strip().split()[-2:]
    return float(seconds), int(status)


def disk_write_seconds(path, size):
    """Writes `size` bytes and fsyncs them: what any durable upload must pay."""
    block = os.urandom(4 * MIB)
    start = time.monotonic()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        left = size
        while left > 0:
            left -= os.write(fd, block[:min(left, len(block))])
        os.fsync(fd)
    finally:
        os.close(fd)
    seconds = time.monotonic() - start
    os.remove(path)
    return seconds


def vm_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_hwm(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def start_nginx(work, root):
    port = free_port()
    d = os.path.join(work, "files-nginx")
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-p", d, "-e", f"{d}/logs/error.log", "-c", conf,
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_http(port, "/", proc)
    return proc, port


def start_tenantd(tenantd, work, token):
    port = free_port()
    data = os.path.join(work, "files-data")
    os.makedirs(data, mode=0o700, exist_ok=True)  # tenantd refuses a data dir others can read
    env = dict(os.environ, TENANTD_ADMIN_TOKEN=token)
    out = open(os.path.join(work, "files-server.log"), "w")
    proc = subprocess.Popen([tenantd, "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--data", data], stdout=out, stderr=subprocess.STDOUT, env=env)
    wait_http(port, "/healthz", proc)
    return proc, port


def request_json(port, method, path, headers, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit(f"files: {method} {path} answered {r.status}: {data[:300]!r}")
    return json.loads(data) if data else None


def main():
    tenantd, work = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    root = os.path.join(work, "files-root")
    os.makedirs(root, exist_ok=True)
    token = secrets.token_hex(16)

    one_gib = os.path.join(root, "1g.bin")
    log("writing a 1 GiB file")
    make_file(one_gib, GIB)

    nginx, nport = start_nginx(work, root)
    server, port = start_tenantd(tenantd, work, token)
    try:
        admin = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        created = request_json(port, "POST", "/admin/v1/tenants", admin,
                               json.dumps({"slug": "bench-files", "name": "Bench files",
                                           "plan": "enterprise"}))
        creds = created["credentials"]
        key = request_json(port, "POST", "/v1/api-keys",
                           {"X-App-Key": creds["app_key"], "X-App-Secret": creds["app_secret"],
                            "Content-Type": "application/json"},
                           json.dumps({"name": "bench"}))["secret"]
        auth = ["-H", f"Authorization: Bearer {key}"]
        base = f"http://127.0.0.1:{port}"

        def upload(path):
            out = subprocess.run(
                ["curl", "-s", "-S", "--max-time", "900", "-H", "Expect:", "-w",
                 "\n%{time_total} %{http_code}", "-H", "Content-Type: application/octet-stream",
                 "-H", "X-Filename: bench.bin", "-X", "POST", "-T", path] + auth +
                [f"{base}/v1/files"], check=True, capture_output=True, text=True).stdout
            body, timing = out.rsplit("\n", 1)
            seconds, status = timing.split()
            if status != "201":
                sys.exit(f"files: upload answered {status}: {body[:300]}")
            return float(seconds), json.loads(body)["file"]["id"]

        def download(file_id):
            seconds, status = curl_seconds(["-o", "/dev/null"] + auth +
                                           [f"{base}/v1/files/{file_id}"])
            if status != 200:
                sys.exit(f"files: download answered {status}")
            return seconds

        def remove(file_id):
            request_json(port, "DELETE", f"/v1/files/{file_id}", {"Authorization": f"Bearer {key}"})

        nginx_s, up_s, down_s, disk_s = [], [], [], []
        for i in range(runs):
            log(f"1 GiB run {i + 1} of {runs}")
            s, status = curl_seconds(["-o", "/dev/null", f"http://127.0.0.1:{nport}/1g.bin"])
            if status != 200:
                sys.exit(f"files: nginx answered {status}")
            nginx_s.append(s)
            s, file_id = upload(one_gib)
            up_s.append(s)
            down_s.append(download(file_id))
            remove(file_id)
            # The same disk as tenantd's data directory.
            disk_s.append(disk_write_seconds(os.path.join(work, "files-data", "disk.bin"), GIB))

        def peak_during(size):
            path = os.path.join(root, f"{size // MIB}m.bin")
            log(f"memory: a {size // MIB} MiB upload and download")
            make_file(path, size)
            reset_hwm(server.pid)
            _, file_id = upload(path)
            download(file_id)
            peak = vm_hwm_mib(server.pid)
            remove(file_id)
            os.remove(path)
            return peak

        rss_64m = peak_during(64 * MIB)
        rss_4g = peak_during(4 * GIB)
    finally:
        server.terminate()
        nginx.terminate()
        server.wait(timeout=30)
        nginx.wait(timeout=30)
        os.remove(one_gib)

    n, u, d, w = (statistics.median(x) for x in (nginx_s, up_s, down_s, disk_s))
    print(json.dumps({
        "runs": runs,
        "nginx_download_mib_s": round(GIB / MIB / n, 1),
        "upload_mib_s": round(GIB / MIB / u, 1),
        "download_mib_s": round(GIB / MIB / d, 1),
        "upload_ratio": round(n / u, 2),
        "download_ratio": round(n / d, 2),
        "disk_write_mib_s": round(GIB / MIB / w, 1),
        "upload_vs_disk": round(w / u, 2),
        "rss_64m_mib": round(rss_64m, 1),
        "rss_4g_mib": round(rss_4g, 1),
    }))


if __name__ == "__main__":
    main()
