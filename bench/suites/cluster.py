"""Many nodes behind a load balancer (issue 14): the API-key product read
through haproxy (deploy/haproxy.cfg) over three tenantd nodes against one
of the same nodes read directly, and how long a revoked API key keeps
working on the other nodes.

Two parts: series() (the two reads, in turn with the other load series)
and run() (100 revocations, after the load)."""

import http.client
import json
import statistics
import time

from lib import report
from lib.load import Series
from lib.procs import BenchError, log
from lib.servers import Endpoint
from lib.wrk import Load

NAME = "cluster"
REVOCATIONS = 100
PROPAGATION_TARGET_MS = 1000  # api.md §10: every node within 1 s


def series(ctx):
    nodes, lb = ctx.cluster_nodes(), ctx.cluster_haproxy()
    targets, size = ctx.cluster_readers()
    shared = [ctx.postgres(), ctx.redis()]
    load = Load("/", "products_random.lua", env={"PRODUCTS_FILE": targets})
    return [Series("cluster_direct", Endpoint(nodes[0].port, nodes[0], *shared), load,
                   facts={"answer_bytes": size}),
            Series("cluster_haproxy", Endpoint(lb.port, lb, *nodes, *shared), load,
                   facts={"answer_bytes": size})]


def _served(nodes):
    return [int(sum(v for k, v in n.metrics().items() if k.startswith("tenantd_http_requests_total")
                    and "/v1/products/" in k)) for n in nodes]


def before(ctx):
    return {"served_before": _served(ctx.cluster_nodes())}


def collect(ctx):
    return {"served_after": _served(ctx.cluster_nodes()), "tenants": ctx.knobs.tenants}


class _Client:
    """One keep-alive connection to a node."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def status(self, method, path, headers, body=None):
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        res = self.conn.getresponse()
        res.read()
        return res.status

    def json(self, method, path, headers, body=None):
        self.conn.request(method, path, json.dumps(body) if body is not None else None,
                          dict(headers, **({"Content-Type": "application/json"} if body else {})))
        res = self.conn.getresponse()
        data = res.read()
        if res.status not in (200, 201):
            raise BenchError(f"cluster: {method} {path} answered {res.status}: {data[:200]!r}")
        return json.loads(data)


def run(ctx):
    """Revoking an API key through node 1 and timing its refusal on nodes 2 and 3."""
    nodes = ctx.cluster_nodes()
    first = _Client(nodes[0].port)
    others = [_Client(n.port) for n in nodes[1:]]
    created = first.json("POST", "/admin/v1/tenants", {"Authorization": "Bearer " + nodes[0].token},
                         {"slug": "revocations", "name": "Revocations"})
    creds = created["credentials"]
    app = {"X-App-Key": creds["app_key"], "X-App-Secret": creds["app_secret"]}
    delays_ms, polls = [], 0
    log(f"cluster: {REVOCATIONS} revocations through node 1, polled on nodes 2 and 3")
    for i in range(REVOCATIONS):
        key = first.json("POST", "/v1/api-keys", app, {"name": f"revoked-{i}"})
        bearer = {"Authorization": "Bearer " + key["secret"]}
        for c in others:  # cached on every node before the revocation
            if c.status("GET", "/v1/whoami", bearer) != 200:
                raise BenchError("cluster: a new API key was refused before its revocation")
        first.json("DELETE", "/v1/api-keys/" + key["api_key"]["id"], app)
        start = time.monotonic()
        waiting = list(others)
        while waiting:
            polls += 1
            waiting = [c for c in waiting if c.status("GET", "/v1/whoami", bearer) != 401]
            if time.monotonic() - start > 10:
                raise BenchError("cluster: a revoked key still worked after 10 s")
        delays_ms.append((time.monotonic() - start) * 1000)
    return {"revocations": REVOCATIONS, "polls": polls,
            "propagation_median_ms": round(statistics.median(delays_ms), 2),
            "propagation_p90_ms": round(sorted(delays_ms)[int(0.9 * len(delays_ms)) - 1], 2),
            "propagation_max_ms": round(max(delays_ms), 2)}


def render(results):
    x = results[NAME]
    parts = ["""## Many nodes: three tenantd behind haproxy

Three tenantd processes on one data directory, their control store in one
database of the run's PostgreSQL and their rate limits in the run's Redis,
behind haproxy with `deploy/haproxy.cfg` as shipped (round robin, health
checks on `/readyz`, keep-alive to the nodes).
"""]
    med = results.get("load", {}).get("median", {})
    if "cluster_haproxy" in med and "cluster_direct" in med:
        d, h = med["cluster_direct"], med["cluster_haproxy"]
        ratio = report.ratio(h["rps"], d["rps"])
        served = [a - b for a, b in zip(x["served_after"], x["served_before"])]
        total = sum(served) or 1
        share = ", ".join(f"{100 * s / total:.0f}%" for s in served)
        parts.append(f"""### The API-key product read over three nodes

- {x['tenants']} tenants (a SQLite database, a secret API key and a product
  each), read with `wrk -t2 -c64` and `bench/wrk/products_random.lua`:
  directly from node 1, and through haproxy over the three nodes, in turn
  in the same rounds.
- **This machine has {results['meta']['cpus']} CPUs**: three nodes, haproxy,
  PostgreSQL, Redis and wrk share them, so this measures what the load
  balancer and the extra processes cost, not how tenantd scales across
  machines (each node would have its own CPUs there).
- Server CPU: haproxy's, the nodes', PostgreSQL's and Redis's processes.

{report.table(["path", "req/s", "p99", "ratio vs one node direct", "server CPU per request"],
              [["node 1 directly", report.rps(d['rps']), report.ms(d['p99_ms']), "1.00",
                report.cpu_us(d)],
               ["haproxy → 3 nodes", report.rps(h['rps']), report.ms(h['p99_ms']),
                f"**{report.r2(ratio)}**", report.cpu_us(h)]],
              "lrrrr")}

- Product reads each node answered during the warm-up and the runs (both
  series): {share} (node 1 also takes the direct series).
""")
    if "propagation_median_ms" in x:
        ok = x["propagation_max_ms"] <= PROPAGATION_TARGET_MS
        parts.append(f"""### How long a revoked API key keeps working elsewhere

- {x['revocations']} times: a new API key is created through node 1 and used
  once on nodes 2 and 3 (so both cache it), then revoked through node 1;
  nodes 2 and 3 are then asked with the key, over and over on keep-alive
  connections, until both answer 401. The delay runs from the revocation's
  answer to the second node's refusal ({x['polls']} requests in all).
- Target (api.md §10): every node within **{PROPAGATION_TARGET_MS} ms**.

{report.table(["median", "90th percentile", "max", "target", "result"],
              [[f"{x['propagation_median_ms']} ms", f"{x['propagation_p90_ms']} ms",
                f"**{x['propagation_max_ms']} ms**", f"≤ {PROPAGATION_TARGET_MS} ms",
                report.verdict(ok)]], "rrrrc")}
""")
    return "\n".join(parts)
