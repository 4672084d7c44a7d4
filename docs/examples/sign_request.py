#!/usr/bin/env python3
"""Sends one mode B (signed) request to tenantd and prints the answer.

    TENANTD_APP_KEY=ak_... TENANTD_APP_SECRET=... \\
        python3 docs/examples/sign_request.py GET http://127.0.0.1:8080/v1/whoami
    ... sign_request.py POST http://127.0.0.1:8080/v1/api-keys body.json

The signature (docs/api.md, "Mode B"): lowercase hex HMAC-SHA256, keyed with
the app secret as issued, of
    METHOD \\n REQUEST_TARGET \\n X-Date \\n X-Content-Sha256 \\n X-Nonce
Standard library only. Exits 1 when the answer is >= 400.
"""
import email.utils
import hashlib
import hmac
import os
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request


def signed_headers(app_key, app_secret, method, target, body):
    x_date = email.utils.formatdate(usegmt=True)
    content_sha256 = hashlib.sha256(body).hexdigest()
    nonce = secrets.token_hex(16)
    canonical = "\n".join([method, target, x_date, content_sha256, nonce])
    signature = hmac.new(app_secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    return {
        "X-App-Key": app_key,
        "X-Date": x_date,
        "X-Content-Sha256": content_sha256,
        "X-Nonce": nonce,
        "X-App-Signature": signature,
    }


def main(argv):
    if len(argv) not in (3, 4):
        print(f"usage: {argv[0]} METHOD URL [BODY_FILE]  (env: TENANTD_APP_KEY, TENANTD_APP_SECRET)",
              file=sys.stderr)
        return 2
    method, url = argv[1].upper(), argv[2]
    body = open(argv[3], "rb").read() if len(argv) == 4 else b""
    parts = urllib.parse.urlsplit(url)
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    headers = signed_headers(os.environ["TENANTD_APP_KEY"], os.environ["TENANTD_APP_SECRET"],
                             method, target, body)
    if body:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            print(response.read().decode())
            return 0
    except urllib.error.HTTPError as error:
        print(error.read().decode())
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
