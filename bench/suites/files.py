"""Files of any size: a 1 GiB upload and download through tenantd against
nginx sendfile of the same file, the disk's own write+fsync rate, and
tenantd's peak memory during a 64 MiB and a 4 GiB transfer."""

import json
import os
import statistics
import subprocess
import time

from lib import report
from lib.procs import PROCS, BenchError, free_port, log, request, tail, vm_mib, wait_http
from lib.servers import Tenantd, create_tenant

NAME = "files"
TARGET = 0.80       # upload and download / nginx download
DISK_TARGET = 0.80  # upload / the disk's write+fsync rate
GIB, MIB = 1 << 30, 1 << 20


def make_file(path, size):
    """Random bytes (nothing may compress or skip them), then read once so
    that both servers serve it from the page cache."""
    block = os.urandom(4 * MIB)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)


def curl(args):
    """curl with its own timers: (seconds, http status, body)."""
    out = subprocess.run(["curl", "-s", "-S", "--max-time", "900", "-w", "\n%{time_total} %{http_code}"] + args,
                         check=True, capture_output=True, text=True).stdout
    body, timing = out.rsplit("\n", 1)
    seconds, status = timing.split()
    return float(seconds), int(status), body


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


def start_nginx(work, root):
    d = os.path.join(work, "files-nginx")
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    port = free_port()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""{'user root;' if os.geteuid() == 0 else ''}
worker_processes 1;
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
    proc = PROCS.start(["nginx", "-p", d, "-e", f"{d}/logs/error.log", "-c", conf, "-g", "daemon off;"],
                       os.path.join(d, "stdout.txt"))
    with open(os.path.join(root, "ping"), "w") as f:
        f.write("ok")
    if not wait_http(proc, port, "/ping"):
        raise BenchError(f"files: nginx did not start:\n{tail(os.path.join(d, 'logs', 'error.log'))}")
    return proc, port


def run(ctx):
    runs = ctx.knobs.files_runs
    root = os.path.join(ctx.work, "files-root")
    os.makedirs(root, exist_ok=True)
    one_gib = os.path.join(root, "1g.bin")
    log("files: writing a 1 GiB file")
    make_file(one_gib, GIB)
    nginx, nport = start_nginx(ctx.work, root)
    server = Tenantd(ctx.tenantd_bin, ctx.work, "files").start()
    try:
        _, key = create_tenant(server, "bench-files", plan="enterprise")
        auth = ["-H", f"Authorization: Bearer {key}"]
        base = f"http://127.0.0.1:{server.port}"

        def upload(path):
            s, status, body = curl(["-H", "Expect:", "-H", "Content-Type: application/octet-stream",
                                    "-H", "X-Filename: bench.bin", "-X", "POST", "-T", path] + auth +
                                   [f"{base}/v1/files"])
            if status != 201:
                raise BenchError(f"files: upload answered {status}: {body[:300]}")
            return s, json.loads(body)["file"]["id"]

        def download(file_id):
            s, status, _ = curl(["-o", "/dev/null"] + auth + [f"{base}/v1/files/{file_id}"])
            if status != 200:
                raise BenchError(f"files: download answered {status}")
            return s

        def remove(file_id):
            status, body, _ = request(server.port, "DELETE", f"/v1/files/{file_id}",
                                      {"Authorization": f"Bearer {key}"})
            if status >= 300:
                raise BenchError(f"files: delete answered {status}: {body[:200]!r}")

        nginx_s, up_s, down_s, disk_s = [], [], [], []
        for i in range(runs):
            log(f"files: 1 GiB run {i + 1} of {runs}")
            s, status, _ = curl(["-o", "/dev/null", f"http://127.0.0.1:{nport}/1g.bin"])
            if status != 200:
                raise BenchError(f"files: nginx answered {status}")
            nginx_s.append(s)
            s, file_id = upload(one_gib)
            up_s.append(s)
            down_s.append(download(file_id))
            remove(file_id)
            # The same disk as tenantd's data directory.
            disk_s.append(disk_write_seconds(os.path.join(server.data, "disk.bin"), GIB))

        def peak_during(size):
            path = os.path.join(root, f"{size // MIB}m.bin")
            log(f"files: memory during a {size // MIB} MiB upload and download")
            make_file(path, size)
            with open(f"/proc/{server.proc.pid}/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current RSS
            _, file_id = upload(path)
            download(file_id)
            peak = vm_mib(server.proc.pid, "VmHWM")
            remove(file_id)
            os.remove(path)
            return peak

        rss_64m = peak_during(64 * MIB)
        rss_4g = peak_during(4 * GIB)
    finally:
        server.stop()
        PROCS.stop(nginx)
        os.remove(one_gib)
    n, u, d, w = (statistics.median(x) for x in (nginx_s, up_s, down_s, disk_s))
    return {"runs": runs, "nginx_download_mib_s": round(GIB / MIB / n, 1),
            "upload_mib_s": round(GIB / MIB / u, 1), "download_mib_s": round(GIB / MIB / d, 1),
            "upload_ratio": round(n / u, 2), "download_ratio": round(n / d, 2),
            "disk_write_mib_s": round(GIB / MIB / w, 1), "upload_vs_disk": round(w / u, 2),
            "rss_64m_mib": round(rss_64m, 1), "rss_4g_mib": round(rss_4g, 1)}


def render(results):
    x = results[NAME]
    rss_ok = x["rss_4g_mib"] < 64 and x["rss_4g_mib"] <= x["rss_64m_mib"] + 16
    return f"""## Files: 1 GiB transfers against nginx sendfile

### Method

- `bench/suites/files.py`: one 1 GiB file of random bytes, in the page cache.
  nginx (`sendfile on`, one worker, no access log) serves it as a static
  file; tenantd takes it as `POST /v1/files` (raw body streamed by `curl -T`:
  hashed, written, fsynced and committed before the answer) and serves it
  back as `GET /v1/files/{{id}}` (sendfile). Each transfer is timed by curl
  (`time_total`), {x['runs']} times, alternating; the median counts. Both
  directions are compared with nginx's download.
- Memory: tenantd's peak resident memory (VmHWM, reset through
  `/proc/PID/clear_refs` before each step) during a 64 MiB upload + download,
  and during a 4 GiB one.
- Targets: upload and download each at least **{TARGET}** of nginx's download;
  the upload at least **{DISK_TARGET}** of the disk's write+fsync rate; peak RSS
  during 4 GiB under 64 MiB and at most the 64 MiB figure + 16 MiB.

### Results

{report.table(["transfer", "MiB/s", "ratio vs nginx download", "target", "result"],
              [["nginx download (sendfile)", x['nginx_download_mib_s'], "1.00", "", ""],
               ["tenantd upload", x['upload_mib_s'], x['upload_ratio'], f"≥ {TARGET}",
                report.verdict(x['upload_ratio'] >= TARGET)],
               ["tenantd download", x['download_mib_s'], x['download_ratio'], f"≥ {TARGET}",
                report.verdict(x['download_ratio'] >= TARGET)]], "lrrrc")}

An upload is answered only once its bytes are on disk (fsync), so the disk
bounds it, not the network: writing 1 GiB and fsyncing it to the data
directory's disk (Python, 4 MiB writes) ran at {x['disk_write_mib_s']} MiB/s in this run;
tenantd's upload reached **{x['upload_vs_disk']}** of that (target ≥ {DISK_TARGET}:
{report.verdict(x['upload_vs_disk'] >= DISK_TARGET)}).

{report.table(["tenantd peak RSS during", "MiB"],
              [["64 MiB upload + download", x['rss_64m_mib']],
               ["4 GiB upload + download",
                f"{x['rss_4g_mib']} ({report.verdict(rss_ok)}: < 64 and ≤ 64 MiB figure + 16)"]])}
"""
