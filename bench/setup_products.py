#!/usr/bin/env python3
"""Sets up the multi-tenant read benchmark of `make bench`: N tenants, each
with one secret API key and one product, created through the HTTP API of a
running tenantd. Writes a Lua table {{api_key, product_id}, ...} for
bench/wrk/products_random.lua and prints the size of one product answer.

Usage: setup_products.py PORT ADMIN_TOKEN COUNT OUT_LUA [CONNECTIONS]
"""

import http.client
import json
import sys
import threading


def call(conn, method, path, headers, body=None):
    conn.request(method, path, json.dumps(body) if body is not None else None,
                 dict(headers, **({"Content-Type": "application/json"} if body is not None else {})))
    res = conn.getresponse()
    data = res.read()
    return res.status, data


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    port, token, count, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    connections = int(sys.argv[5]) if len(sys.argv) > 5 else 4
    pairs = [None] * count
    next_index = [0]
    lock = threading.Lock()
    errors = []
    answer_bytes = [0]

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        admin = {"Authorization": "Bearer " + token}
        while not errors:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= count:
                return
            status, data = call(conn, "POST", "/admin/v1/tenants", admin,
                                {"slug": f"reader-{i:05d}", "name": f"Reader {i}"})
            if status != 201:
                errors.append(f"create tenant: {status} {data[:200]!r}")
                return
            creds = json.loads(data)["credentials"]
            app = {"X-App-Key": creds["app_key"], "X-App-Secret": creds["app_secret"]}
            status, data = call(conn, "POST", "/v1/api-keys", app, {"name": "bench"})
            if status != 201:
                errors.append(f"create API key: {status} {data[:200]!r}")
                return
            key = json.loads(data)["secret"]
            bearer = {"Authorization": "Bearer " + key}
            status, data = call(conn, "POST", "/v1/products", bearer, {
                "sku": "SKU-1", "name": f"Widget of reader {i}", "price_cents": 1999,
                "currency": "EUR", "attributes": {"colour": "blue", "size": "M"}})
            if status != 201:
                errors.append(f"create product: {status} {data[:200]!r}")
                return
            product = json.loads(data)["product"]["id"]
            status, data = call(conn, "GET", "/v1/products/" + product, bearer)
            if status != 200:
                errors.append(f"read product: {status} {data[:200]!r}")
                return
            answer_bytes[0] = len(data)
            pairs[i] = (key, product)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("setup_products: " + errors[0])
    with open(out, "w") as f:
        f.write("return {\n")
        for key, product in pairs:
            f.write(f'  {{"{key}", "{product}"}},\n')
        f.write("}\n")
    print(answer_bytes[0])


if __name__ == "__main__":
    main()
