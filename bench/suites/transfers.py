"""Files on S3 and through tus: a 1 GiB upload and download with the blob
store on an S3-protocol server against the same bytes sent straight to it
(presigned URLs) and against local disk, and a 1 GiB
tus upload in 8 MiB PATCHes against one plain upload; tenantd's peak
memory on S3 at 64 MiB and 1 GiB."""

import http.client
import json
import os
import re
import statistics
import subprocess
import time

from lib import report
from lib.procs import PROCS, BenchError, log, request, tail, vm_mib
from lib.servers import Tenantd, create_tenant
from suites.files import GIB, MIB, curl, make_file

NAME = "transfers"
S3_TARGET = 0.8    # through tenantd on S3 / straight to the S3 server, each direction
TUS_TARGET = 0.8   # tus upload rate / plain upload's
CHUNK = 8 * MIB
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
S3_DIR = os.path.join(ROOT, "tests", "s3")


def start_s3(work):
    """The tests' S3-protocol server (s3rver behind a signature-checking
    front, tests/s3/server.js); its npm packages from the committed lockfile."""
    if not os.path.isdir(os.path.join(S3_DIR, "node_modules", "s3rver")):
        log("transfers: npm ci in tests/s3")
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=S3_DIR, check=True)
    d = os.path.join(work, "s3")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, "stdout.txt")
    proc = PROCS.start(["node", os.path.join(S3_DIR, "server.js"), os.path.join(d, "data"), "bench"], out)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(out) as f:
            m = re.search(r"s3 listening on (http://\S+)", f.read())
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise BenchError(f"transfers: the S3 server did not start:\n{tail(out)}")


def plain_round_trip(server, key, path):
    """(upload seconds, download seconds) of one file through POST and GET."""
    auth = ["-H", f"Authorization: Bearer {key}"]
    base = f"http://127.0.0.1:{server.port}"
    up, status, body = curl(["-H", "Expect:", "-H", "Content-Type: application/octet-stream",
                             "-H", "X-Filename: bench.bin", "-X", "POST", "-T", path] + auth +
                            [f"{base}/v1/files"])
    if status != 201:
        raise BenchError(f"transfers: upload answered {status}: {body[:300]}")
    file_id = json.loads(body)["file"]["id"]
    down, status, _ = curl(["-o", "/dev/null"] + auth + [f"{base}/v1/files/{file_id}"])
    if status != 200:
        raise BenchError(f"transfers: download answered {status}")
    status, body, _ = request(server.port, "DELETE", f"/v1/files/{file_id}",
                              {"Authorization": f"Bearer {key}"})
    if status != 204:
        raise BenchError(f"transfers: delete answered {status}: {body[:200]!r}")
    return up, down


def direct_round_trip(server, key, path, size):
    """(upload seconds, download seconds) of the same bytes straight to and
    from the S3 server, through the presigned URLs tenantd hands out
    (POST /v1/files/upload-url, GET …/download-url): the S3 server's own
    speed, with tenantd out of the byte path."""
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    made = server.call("POST", "/v1/files/upload-url", auth,
                       {"filename": "direct.bin", "size": size})
    file_id, upload = made["file"]["id"], made["upload"]
    headers = []
    for name, value in upload.get("headers", {}).items():
        headers += ["-H", f"{name}: {value}"]
    up, status, body = curl(["-H", "Expect:", "-X", upload["method"], "-T", path] + headers +
                            [upload["url"]])
    if status >= 300:
        raise BenchError(f"transfers: presigned PUT answered {status}: {body[:300]}")
    server.call("POST", f"/v1/files/{file_id}/complete", auth)
    url = server.call("GET", f"/v1/files/{file_id}/download-url", auth)["url"]
    down, status, _ = curl(["-o", "/dev/null", url])
    if status != 200:
        raise BenchError(f"transfers: presigned GET answered {status}")
    request(server.port, "DELETE", f"/v1/files/{file_id}", {"Authorization": f"Bearer {key}"})
    return up, down


def tus_upload(server, key, path, size):
    """Seconds for a tus 1.0 upload of `path` in CHUNK-sized PATCHes on one
    keep-alive connection, as a tus client sends them."""
    auth = {"Authorization": f"Bearer {key}", "Tus-Resumable": "1.0.0"}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    start = time.monotonic()
    conn.request("POST", "/v1/uploads", headers=dict(auth, **{
        "Upload-Length": str(size), "Upload-Metadata": "filename YmVuY2guYmlu"}))
    res = conn.getresponse()
    res.read()
    if res.status != 201:
        raise BenchError(f"transfers: tus create answered {res.status}")
    location = res.getheader("Location")
    location = location[location.index("/v1/"):] if "://" in location else location
    offset = 0
    with open(path, "rb") as f:
        while offset < size:
            chunk = f.read(CHUNK)
            conn.request("PATCH", location, body=chunk, headers=dict(auth, **{
                "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)}))
            res = conn.getresponse()
            res.read()
            if res.status != 204:
                raise BenchError(f"transfers: tus PATCH at {offset} answered {res.status}")
            offset += len(chunk)
    seconds = time.monotonic() - start
    file_id = res.getheader("X-File-Id")
    conn.close()
    if file_id:
        request(server.port, "DELETE", f"/v1/files/{file_id}", {"Authorization": f"Bearer {key}"})
    return seconds


def run(ctx):
    runs = ctx.knobs.files_runs
    path = os.path.join(ctx.work, "transfers-1g.bin")
    log("transfers: writing a 1 GiB file")
    make_file(path, GIB)
    s3, s3_url = start_s3(ctx.work)
    local = Tenantd(ctx.tenantd_bin, ctx.work, "transfers-local").start()
    remote = Tenantd(ctx.tenantd_bin, ctx.work, "transfers-s3", env={
        "TENANTD_BLOB_STORE": "s3", "TENANTD_S3_ENDPOINT": s3_url, "TENANTD_S3_BUCKET": "bench",
        "TENANTD_S3_ACCESS_KEY_ID": "S3RVER", "TENANTD_S3_SECRET_ACCESS_KEY": "S3RVER",
        "TENANTD_S3_FORCE_PATH_STYLE": "true"}).start()
    try:
        local_key = create_tenant(local, "bench-local", plan="enterprise")[1]
        remote_key = create_tenant(remote, "bench-s3", plan="enterprise")[1]

        def s3_peak(file_path):
            """tenantd's peak RSS (VmHWM, reset first) during an S3 round trip."""
            with open(f"/proc/{remote.proc.pid}/clear_refs", "w") as f:
                f.write("5")
            times = plain_round_trip(remote, remote_key, file_path)
            return vm_mib(remote.proc.pid, "VmHWM"), times

        small = os.path.join(ctx.work, "transfers-64m.bin")
        make_file(small, 64 * MIB)
        log("transfers: memory during a 64 MiB round trip on S3")
        peak_64m, _ = s3_peak(small)
        os.remove(small)
        times = {"local_up": [], "local_down": [], "s3_up": [], "s3_down": [], "direct_up": [],
                 "direct_down": [], "tus": []}
        peak_1g = 0.0
        for i in range(runs):
            log(f"transfers: 1 GiB run {i + 1} of {runs}")
            up, down = plain_round_trip(local, local_key, path)
            times["local_up"].append(up)
            times["local_down"].append(down)
            peak, (up, down) = s3_peak(path)
            peak_1g = max(peak_1g, peak)
            times["s3_up"].append(up)
            times["s3_down"].append(down)
            up, down = direct_round_trip(remote, remote_key, path, GIB)
            times["direct_up"].append(up)
            times["direct_down"].append(down)
            times["tus"].append(tus_upload(local, local_key, path, GIB))
    finally:
        local.stop()
        remote.stop()
        PROCS.stop(s3)
        os.remove(path)
    m = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: round(GIB / MIB / v, 1) for k, v in m.items()}
    return {"runs": runs, "mib_s": rate,
            "s3_up_ratio": round(m["direct_up"] / m["s3_up"], 2),
            "s3_down_ratio": round(m["direct_down"] / m["s3_down"], 2),
            "tus_ratio": round(m["local_up"] / m["tus"], 2),
            "s3_peak_64m_mib": round(peak_64m, 1), "s3_peak_1g_mib": round(peak_1g, 1)}


def render(results):
    x = results[NAME]
    r = x["mib_s"]

    def verdict(value, target):
        return "PASS" if value >= target else "FAIL"

    return f"""## Files on S3 and through tus: 1 GiB

### Method

- `bench/suites/transfers.py`: one 1 GiB file of random bytes. Two tenantd servers: one on the
  local blob store, one on the S3-protocol server of the tests (`tests/s3/server.js`: s3rver, which
  stores objects on this same disk, behind a front that checks every AWS Signature V4). Each run
  uploads the file with `POST /v1/files` (curl -T) and downloads it with `GET` on both, then
  uploads it to the local server with tus 1.0 in 8 MiB `PATCH`es on one keep-alive connection
  (Python's http.client, as a tus client does). Baseline of the S3 rows: the same bytes
  straight to and from the S3 server with curl, through the presigned URLs tenantd hands out
  (`upload-url`, `download-url`), so tenantd is out of the byte path. {x['runs']} runs, the
  median counts.
- On S3 the upload is a multipart upload of 8 MiB parts and the download a streamed GET: every
  byte also crosses s3rver (Node) and its signature-checking front, so the ratio measures that
  server as much as tenantd's client.
- Targets: tenantd on S3 at least **{S3_TARGET}** of the S3 server directly, each way; tus at least **{TUS_TARGET}**
  of the plain upload. Memory flat with size: the S3 server's peak during 1 GiB at most its peak
  during 64 MiB + 16 MiB (the files section above shows the same for the local store).

### Results

{report.table(["transfer", "MiB/s", "ratio", "target", "result"],
              [["S3 server directly (presigned PUT)", r['direct_up'], "1.00", "", ""],
               ["tenantd on S3: upload", r['s3_up'], f"{x['s3_up_ratio']:.2f}", f"≥ {S3_TARGET}",
                verdict(x['s3_up_ratio'], S3_TARGET)],
               ["S3 server directly (presigned GET)", r['direct_down'], "1.00", "", ""],
               ["tenantd on S3: download", r['s3_down'], f"{x['s3_down_ratio']:.2f}", f"≥ {S3_TARGET}",
                verdict(x['s3_down_ratio'], S3_TARGET)],
               ["tenantd on local disk: upload", r['local_up'], "1.00", "", ""],
               ["tenantd on local disk: download (sendfile)", r['local_down'], "", "", ""],
               ["tus upload, 8 MiB PATCHes (vs local upload)", r['tus'], f"{x['tus_ratio']:.2f}",
                f"≥ {TUS_TARGET}", verdict(x['tus_ratio'], TUS_TARGET)]], "lrrrl")}

Peak resident memory of the S3 server (VmHWM, reset before each): {x['s3_peak_64m_mib']} MiB during
a 64 MiB round trip, {x['s3_peak_1g_mib']} MiB during a 1 GiB one (target: at most the 64 MiB
figure + 16 MiB: **{"PASS" if x['s3_peak_1g_mib'] <= x['s3_peak_64m_mib'] + 16 else "FAIL"}**).
"""
