"""Image variants: how many 256x256 WebP variants of a 12-megapixel JPEG
tenantd makes per second through GET /v1/files/{id}/variants/…, against
libvips called in process on as many threads (bench/variant_rate.cpp)."""

import json
import os
import struct
import subprocess
import threading
import time
import zlib

from lib import report
from lib.procs import BenchError, log, request
from lib.servers import Tenantd, create_tenant

NAME = "images"
TARGET = 0.80  # tenantd's variants/s / libvips in process
FILES = 24     # source files, one variant each
CLIENTS = 2    # concurrent requests, and libvips threads of the baseline
VARIANT = "256x256.webp"


def png(width, height):
    """An 8-bit RGB PNG with a pattern (gradients and noise, so JPEG has work)."""
    seed = os.urandom(width * 3)
    rows = []
    for y in range(height):
        shift = (y * 7) % len(seed)
        rows.append(b"\0" + seed[shift:] + seed[:shift])
    raw = zlib.compress(b"".join(rows), 1)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def run(ctx):
    server = Tenantd(ctx.tenantd_bin, ctx.work, "images",
                     env={"TENANTD_IMAGE_VARIANTS": f"4000x3000,{VARIANT.split('.')[0]}"}).start()
    try:
        _, key = create_tenant(server, "bench-images", plan="enterprise")
        auth = {"Authorization": f"Bearer {key}"}

        def upload(data, name):
            status, body, _ = request(server.port, "POST", "/v1/files",
                                      dict(auth, **{"Content-Type": "application/octet-stream",
                                                    "X-Filename": name}), data)
            if status != 201:
                raise BenchError(f"images: upload answered {status}: {body[:200]!r}")
            return json.loads(body)["file"]["id"]

        def get(path):
            status, body, _ = request(server.port, "GET", path, auth)
            if status != 200:
                raise BenchError(f"images: GET {path} answered {status}: {body[:200]!r}")
            return body

        log("images: a 12-megapixel JPEG, made by tenantd from a 4000x3000 PNG")
        source = upload(png(4000, 3000), "source.png")
        jpeg = get(f"/v1/files/{source}/variants/4000x3000.jpeg")
        jpeg_path = os.path.join(ctx.work, "12mp.jpeg")
        with open(jpeg_path, "wb") as f:
            f.write(jpeg)
        ids = [upload(jpeg, f"photo-{i}.jpeg") for i in range(FILES)]

        log(f"images: {FILES} variants through tenantd, {CLIENTS} at a time")
        queue = list(ids)
        lock = threading.Lock()
        errors = []

        def client():
            while True:
                with lock:
                    if not queue:
                        return
                    file_id = queue.pop()
                try:
                    get(f"/v1/files/{file_id}/variants/{VARIANT}")
                except BenchError as e:
                    errors.append(str(e))

        start = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.monotonic() - start
        if errors:
            raise BenchError(errors[0])
    finally:
        server.stop()

    log("images: the same with libvips in process")
    out = subprocess.run([ctx.variant_rate_bin, jpeg_path, VARIANT, str(CLIENTS), str(FILES)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise BenchError(f"variant_rate failed: {out.stderr[-300:]}")
    direct = float(out.stdout.strip())
    tenantd_rate = FILES / seconds
    return {"files": FILES, "clients": CLIENTS, "jpeg_bytes": len(jpeg),
            "tenantd_per_s": round(tenantd_rate, 2), "direct_per_s": round(direct, 2),
            "ratio": round(tenantd_rate / direct, 2)}


def render(results):
    x = results[NAME]
    ok = x["ratio"] >= TARGET
    return f"""## Image variants: a 12-megapixel JPEG to {VARIANT}

### Method

- `bench/suites/images.py`: tenantd makes a 12-megapixel JPEG ({x['jpeg_bytes'] // 1024} KiB) as the
  `4000x3000.jpeg` variant of a 4000×3000 PNG, which is then uploaded {x['files']} times. Each
  copy's `{VARIANT}` variant is asked for once, {x['clients']} requests at a time: read from the
  blob store, decoded with JPEG shrink-on-load, scaled, encoded, stored, recorded and served.
- Baseline, in the same run: `bench/variant_rate.cpp` calls the same `images::MakeVariant` on
  {x['clients']} threads in one process, {x['files']} times, with no HTTP, storage or database.
- Target: tenantd at least **{TARGET}** of the in-process rate.

### Results

{report.table(["", "variants/s", "ratio", "target", "result"],
              [["libvips in process", x['direct_per_s'], "1.00", "", ""],
               ["tenantd GET …/variants/" + VARIANT, x['tenantd_per_s'], f"{x['ratio']:.2f}",
                f"≥ {TARGET}", "PASS" if ok else "FAIL"]], "lrrrl")}
"""
