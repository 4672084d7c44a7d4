#!/usr/bin/env bash
# Sends one mode B (signed) request to tenantd and prints the answer.
#
#   TENANTD_APP_KEY=ak_… TENANTD_APP_SECRET=… \
#     docs/examples/sign-request.sh GET http://127.0.0.1:8080/v1/whoami
#   … sign-request.sh POST http://127.0.0.1:8080/v1/api-keys body.json
#
# The signature (docs/api.md, "Mode B"): lowercase hex HMAC-SHA256, keyed
# with the app secret as issued, of
#   METHOD \n REQUEST_TARGET \n X-Date \n X-Content-Sha256 \n X-Nonce
# The secret never leaves this machine. Exits 1 when the answer is >= 400.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 METHOD URL [BODY_FILE]  (env: TENANTD_APP_KEY, TENANTD_APP_SECRET)" >&2
  exit 2
fi
: "${TENANTD_APP_KEY:?set TENANTD_APP_KEY}" "${TENANTD_APP_SECRET:?set TENANTD_APP_SECRET}"
method=$(tr '[:lower:]' '[:upper:]' <<<"$1")
url=$2
body_file=${3:-/dev/null}

# The request target exactly as it goes on the request line: path and query.
target="/${url#*://*/}"
[[ "$url" == *://*/* ]] || target="/"

x_date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
content_sha256=$(openssl dgst -sha256 -r <"$body_file" | cut -d' ' -f1)
nonce=$(openssl rand -hex 16)
signature=$(printf '%s\n%s\n%s\n%s\n%s' "$method" "$target" "$x_date" "$content_sha256" "$nonce" |
  openssl dgst -sha256 -hmac "$TENANTD_APP_SECRET" -r | cut -d' ' -f1)

args=(-sS -X "$method" -w '\n%{http_code}\n'
  -H "X-App-Key: $TENANTD_APP_KEY"
  -H "X-Date: $x_date"
  -H "X-Content-Sha256: $content_sha256"
  -H "X-Nonce: $nonce"
  -H "X-App-Signature: $signature")
if [[ $# -eq 3 ]]; then
  args+=(-H 'Content-Type: application/json' --data-binary "@$body_file")
fi

answer=$(curl "${args[@]}" "$url")
status=${answer##*$'\n'}
printf '%s\n' "${answer%$'\n'*}"
[[ "$status" -lt 400 ]]
