#!/usr/bin/env bash
# Usage: scripts/bench.sh BUILD_DIR        (run by `make bench` with build/bench)
#
# Measures GET /healthz on tenantd against nginx `return 200` with the same
# body, and authenticated GET /v1/whoami (API key; mode B signature with and
# without the session cookie) against tenantd's own /healthz, and
# GET /v1/products/{id} over BENCH_TENANTS tenants (a random tenant per
# request) against nginx `return 200` with a product-sized body, on this
# machine, in this run, with wrk on loopback; times creating and migrating
# BENCH_PROVISION_TENANTS tenants (bench/provisioning.py); runs the Google
# Benchmark hot-path benchmarks; times the backup and restore of a tenant
# with BENCH_BACKUP_PRODUCTS products and BENCH_BACKUP_MIB MiB of files
# (bench/backup_restore.py); writes docs/benchmarks.md.
#
# Exits non-zero when something cannot be built, started or measured. A
# missed performance target is not a failure of the script: it prints a
# WARNING line and says FAIL in the report.
#
# Knobs (environment): BENCH_RUNS (wrk runs per server, default 3),
# BENCH_DURATION (seconds per wrk run, default 10), BENCH_WARMUP (seconds,
# default 3), BENCH_MIN_TIME (Google Benchmark seconds per benchmark, default 0.1),
# BENCH_QUIET_WAIT (longest wait, in seconds, for other work on the machine to
# settle before measuring, default 60), BENCH_TENANTS (tenants of the
# product-read series, default 1000), BENCH_PROVISION_TENANTS (tenants
# created and migrated, default 10000), BENCH_BACKUP_PRODUCTS (default 10000)
# and BENCH_BACKUP_MIB (default 1024) for the backup series, BENCH_OUT (report path, default
# docs/benchmarks.md, relative to the repository root).
set -euo pipefail

BUILD_DIR=${1:-}
if [[ -z "$BUILD_DIR" ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi

[[ -d "$BUILD_DIR" ]] || {
  echo "bench: ERROR: build directory $BUILD_DIR not found (run: make bench)" >&2
  exit 1
}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

TENANTD="$BUILD_DIR/apps/tenantd/tenantd"
HOT_BENCH="$BUILD_DIR/bench/hot_paths_bench"
TENANTD_NEXT="$BUILD_DIR/tests/next_release/tenantd_next"
OUT=${BENCH_OUT:-docs/benchmarks.md}
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-3}
MIN_TIME=${BENCH_MIN_TIME:-0.1}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
READ_TENANTS=${BENCH_TENANTS:-1000}
PROVISION_TENANTS=${BENCH_PROVISION_TENANTS:-10000}
THREADS=2
CONNECTIONS=64
TARGET_RATIO=0.80
AUTH_TARGET_RATIO=0.85  # authenticated whoami vs tenantd's own /healthz
PRODUCT_TARGET_RATIO=0.60  # product read over many tenants vs nginx return 200
FILES_TARGET_RATIO=0.80    # 1 GiB upload and download vs nginx sendfile download
FILES_RUNS=${BENCH_FILES_RUNS:-3}
REDIS_TARGET_RATIO=0.70  # API-key read with REDIS_URL vs the same read without
PRODUCT_TARGET_P99_MS=5
PROVISION_TARGET_S=60  # create, and migrate, 10,000 tenants
HOST=127.0.0.1  # all traffic stays on loopback

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  printf 'bench: ERROR: %s\n' "$*" >&2
  exit 1
}

for tool in wrk nginx curl awk timeout python3 redis-server redis-cli; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (run: make deps)"
done
[[ -x "$TENANTD" ]] || die "$TENANTD not found; build with -DTENANTD_BUILD_BENCH=ON (make bench)"
[[ -x "$HOT_BENCH" ]] || die "$HOT_BENCH not found; build with -DTENANTD_BUILD_BENCH=ON (make bench)"
[[ -x "$TENANTD_NEXT" ]] || die "$TENANTD_NEXT not found; build with -DTENANTD_BUILD_BENCH=ON (make bench)"
[[ "$READ_TENANTS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_TENANTS must be a positive integer"
[[ "$PROVISION_TENANTS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_PROVISION_TENANTS must be a positive integer"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "BENCH_DURATION must be a positive integer (seconds)"
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a non-negative integer (seconds)"
[[ "$QUIET_WAIT" =~ ^[0-9]+$ ]] || die "BENCH_QUIET_WAIT must be a non-negative integer (seconds)"

# --- processes and clean-up ------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tenantd-bench.XXXXXX")
TENANTD_PID=""
TENANTD_REDIS_PID=""  # a second tenantd on the same data, with REDIS_URL
REDIS_PID=""
NGINX_PID=""
KEEP_WORK=0
CHILD_PID=""  # wrk or hot_paths_bench while one runs

# run_child OUT ERR CMD...: runs CMD with stdout to OUT and stderr to ERR in the
# background and waits for it, so that a signal to this script is handled at
# once (the trap stops CMD) instead of after it.
run_child() {
  local rc=0 out=$1 err=$2
  shift 2
  "$@" >"$out" 2>"$err" &
  CHILD_PID=$!
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=""
  return "$rc"
}

# Stops one process we started: TERM, up to 5 s, then KILL.
stop_pid() {
  local pid=$1 i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM ERR
  stop_pid "$CHILD_PID"
  stop_pid "$TENANTD_PID"
  stop_pid "$TENANTD_REDIS_PID"
  stop_pid "$REDIS_PID"
  # nginx runs in the foreground ('daemon off'): TERM to the master stops its workers.
  stop_pid "$NGINX_PID"
  if [[ $rc -ne 0 || $KEEP_WORK -eq 1 ]]; then
    log "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# Sets PICKED_PORT to a free TCP port on 127.0.0.1 not handed out before in
# this run (called in this shell, not in $(...), so USED_PORTS persists).
USED_PORTS=" "
PICKED_PORT=""
free_port() {
  local p i
  for ((i = 0; i < 500; i++)); do
    p=$((20000 + RANDOM % 40000))
    [[ "$USED_PORTS" == *" $p "* ]] && continue
    if command -v ss >/dev/null 2>&1; then
      [[ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]] || continue
    elif (exec 3<>"/dev/tcp/$HOST/$p") 2>/dev/null; then
      continue
    fi
    USED_PORTS+="$p "
    PICKED_PORT=$p
    return 0
  done
  return 1
}

# Waits (bounded) until GET /healthz answers 2xx; fails early if the process died.
wait_healthy() {
  local name=$1 pid=$2 port=$3 i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if curl -sf --max-time 1 -o /dev/null "http://$HOST:$port/healthz"; then
      return 0
    fi
    sleep 0.1
  done
  log "$name did not answer /healthz within 10 s"
  return 1
}

start_tenantd() {
  local attempt
  mkdir -p -m 700 "$WORK/tenantd-data"
  # wrk sends far more than a free tenant's 600 requests a minute: the bench
  # plan lifts the limits out of reach, so every series measures admitted
  # requests, with the rate-limit check still paid on each of them.
  cat >"$WORK/tenantd.toml" <<'TOML'
[plans.free]
requests_per_minute = 1000000000
auth_requests_per_minute = 1000000000
storage_bytes = 0
TOML
  for attempt in 1 2 3; do
    free_port || die "no free loopback port"
    TENANTD_PORT=$PICKED_PORT
    "$TENANTD" serve --host "$HOST" --port "$TENANTD_PORT" --data "$WORK/tenantd-data" \
      --config "$WORK/tenantd.toml" \
      >"$WORK/tenantd.out" 2>"$WORK/tenantd.err" </dev/null &
    TENANTD_PID=$!
    if wait_healthy tenantd "$TENANTD_PID" "$TENANTD_PORT"; then
      return 0
    fi
    stop_pid "$TENANTD_PID"
    TENANTD_PID=""
    log "tenantd did not start on port $TENANTD_PORT (attempt $attempt):"
    tail -n 5 "$WORK/tenantd.err" "$WORK/tenantd.out" >&2 || true
  done
  die "tenantd failed to start"
}

# A redis-server of our own on a free loopback port (no persistence), and a
# second tenantd on the same data directory that keeps its rate limits in
# it: the API-key read through both measures what Redis costs per request.
start_redis() {
  free_port || die "no free loopback port"
  REDIS_PORT=$PICKED_PORT
  mkdir -p "$WORK/redis"
  redis-server --port "$REDIS_PORT" --bind "$HOST" --save '' --appendonly no \
    --daemonize no --dir "$WORK/redis" >"$WORK/redis.out" 2>&1 </dev/null &
  REDIS_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    if [[ "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; then return 0; fi
    kill -0 "$REDIS_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$WORK/redis.out" >&2
  die "redis-server did not answer PING"
}

start_tenantd_redis() {
  free_port || die "no free loopback port"
  TENANTD_REDIS_PORT=$PICKED_PORT
  REDIS_URL="redis://$HOST:$REDIS_PORT/0" \
    "$TENANTD" serve --host "$HOST" --port "$TENANTD_REDIS_PORT" --data "$WORK/tenantd-data" \
    --config "$WORK/tenantd.toml" \
    >"$WORK/tenantd-redis.out" 2>"$WORK/tenantd-redis.err" </dev/null &
  TENANTD_REDIS_PID=$!
  wait_healthy tenantd-redis "$TENANTD_REDIS_PID" "$TENANTD_REDIS_PORT" ||
    die "tenantd with REDIS_URL failed to start"
  [[ "$(curl -sf "http://$HOST:$TENANTD_REDIS_PORT/readyz")" == *'"redis":"ok"'* ]] ||
    die "tenantd with REDIS_URL is not ready"
}

# The baseline of the product reads: a product answer of the shape and size
# tenantd sends (tenantd's exact size is in the report).
NGINX_PRODUCT_BODY='{"product":{"id":"prd_01JBENCHBENCHBENCHBENCHBEN","sku":"SKU-1","name":"Widget of reader 123","price_cents":1999,"currency":"EUR","attributes":{"colour":"blue","size":"M"},"version":1,"created_at":"2026-11-23T05:00:00.000Z","updated_at":"2026-11-23T05:00:00.000Z"}}'

start_nginx() {
  local attempt dir="$WORK/nginx"
  mkdir -p "$dir/logs" "$dir/tmp"
  for attempt in 1 2 3; do
    free_port || die "no free loopback port"
    NGINX_PORT=$PICKED_PORT
    {
      # As root, nginx would switch its workers to 'nobody'; keep the current user.
      if [[ $EUID -eq 0 ]]; then echo "user root;"; fi
      cat <<EOF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;

events {
  worker_connections 4096;
}

http {
  # An access line of the same facts and about the same length as tenantd's
  # text line, buffered like tenantd's asynchronous writer (which flushes every
  # 50 ms or 256 KiB): both servers pay for an access log.
  log_format tenantd_like '\$time_iso8601 \$status \$request_method \$request_uri '
                          '\${request_time}s \${body_bytes_sent}B tenant=- id=\$request_id '
                          'ip=\$remote_addr ua="\$http_user_agent" ref="\$http_referer"';
  access_log $dir/logs/access.log tenantd_like buffer=256k flush=1s;

  keepalive_requests 1000000;
  keepalive_timeout 65s;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;

  server {
    listen $HOST:$NGINX_PORT;
    location = /healthz {
      default_type application/json;
      return 200 '{"ok":true}';
    }
    location = /product {
      default_type application/json;
      return 200 '$NGINX_PRODUCT_BODY';
    }
    location / {
      return 404;
    }
  }
}
EOF
    } >"$dir/nginx.conf"
    if ! nginx -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" -t >"$dir/configtest.txt" 2>&1; then
      cat "$dir/configtest.txt" >&2
      die "nginx rejected the generated configuration ($dir/nginx.conf)"
    fi
    nginx -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" -g 'daemon off;' \
      >"$dir/stdout.txt" 2>&1 </dev/null &
    NGINX_PID=$!
    if wait_healthy nginx "$NGINX_PID" "$NGINX_PORT"; then
      return 0
    fi
    stop_pid "$NGINX_PID"
    NGINX_PID=""
    log "nginx did not start on port $NGINX_PORT (attempt $attempt):"
    tail -n 5 "$dir/logs/error.log" "$dir/stdout.txt" >&2 || true
  done
  die "nginx failed to start"
}

# --- measuring -------------------------------------------------------------

# Sum of utime+stime (clock ticks) of the given pids and their threads.
cpu_ticks() {
  local total=0 pid f
  for pid in "$@"; do
    f="/proc/$pid/stat"
    [[ -r "$f" ]] || continue
    # Fields 14 and 15, counted after the ')' that ends the command name.
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$f")))
  done
  echo "$total"
}

# The pids whose CPU a server run is charged with (nginx: master and workers).
server_pids() {
  case $1 in
    tenantd | apikey | signed | signed_fresh | products) echo "$TENANTD_PID" ;;
    apikey_redis) echo "$TENANTD_REDIS_PID" ;;
    nginx | nginx_product) echo "$NGINX_PID $(ps -o pid= --ppid "$NGINX_PID" 2>/dev/null | tr '\n' ' ')" ;;
  esac
}

# Converts a wrk latency ("812.00us", "1.23ms", "2.00s") to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v; sub(/[a-z]+$/, "", n); u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
    printf "%.2f", n }'
}

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
# server run rps p99_ms server_cpu_s requests socket_errors wrk_cpu_s other_cpu_s capacity_s
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

# What wrk sends for each measured series: WRK_PATH, WRK_OPTS (extra wrk
# options) and WRK_ENV (environment for wrk's Lua script).
series_request() {
  WRK_OPTS=()
  WRK_ENV=()
  case $1 in
    nginx | tenantd) WRK_PATH=/healthz ;;
    nginx_product) WRK_PATH=/product ;;
    products)
      WRK_PATH=/
      WRK_OPTS=(-s "$ROOT/bench/wrk/products_random.lua")
      WRK_ENV=(PRODUCTS_FILE="$WORK/products.lua")
      ;;
    apikey | apikey_redis)
      WRK_PATH=/v1/whoami
      WRK_OPTS=(-H "Authorization: Bearer $API_KEY")
      ;;
    signed | signed_fresh)
      WRK_PATH=/v1/whoami
      WRK_OPTS=(-s "$ROOT/bench/wrk/signed_whoami.lua")
      WRK_ENV=(TENANTD_APP_KEY="$APP_KEY" TENANTD_APP_SECRET="$APP_SECRET")
      if [[ $1 == signed ]]; then WRK_ENV+=(SESSION_COOKIE="$SESSION_COOKIE"); fi
      ;;
    *) die "unknown series $1" ;;
  esac
}

# run_wrk SERIES PORT SECONDS OUTFILE
run_wrk() {
  local name=$1 port=$2 secs=$3 out=$4
  series_request "$name"
  run_child "$out" "$out.err" timeout $((secs + 30)) env "${WRK_ENV[@]}" wrk -t"$THREADS" \
    -c"$CONNECTIONS" -d"${secs}s" --latency "${WRK_OPTS[@]}" "http://$HOST:$port$WRK_PATH" || {
    cat "$out.err" >&2
    cat "$out" >&2
    die "wrk against $name failed"
  }
}

# Busy and total ticks of the whole machine so far (first line of /proc/stat),
# into MACHINE_BUSY and MACHINE_TOTAL; a builtin read, so no process is forked.
machine_ticks() {
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  MACHINE_BUSY=$((user + nice + system + irq + softirq + steal))
  MACHINE_TOTAL=$((MACHINE_BUSY + idle + iowait))
}

# CPU seconds (user + system) of the waited-for children of this shell so far,
# into CHILDREN_CPU. `times` is a builtin: redirecting it forks nothing.
children_cpu() {
  times >"$WORK/times.txt"
  CHILDREN_CPU=$(awk 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
    printf "%.2f", t }' "$WORK/times.txt")
}

# Waits (bounded by BENCH_QUIET_WAIT seconds) until the machine is mostly idle
# before measuring; other work on the CPUs would skew the figures.
wait_quiet() {
  local waited=0 busy b0 t0
  for (( ; ; )); do
    machine_ticks
    b0=$MACHINE_BUSY t0=$MACHINE_TOTAL
    sleep 2
    machine_ticks
    busy=$(((MACHINE_BUSY - b0) * 100 / (MACHINE_TOTAL - t0 > 0 ? MACHINE_TOTAL - t0 : 1)))
    IDLE_BUSY_PCT=$busy
    ((busy <= 25)) && return 0
    if ((waited >= QUIET_WAIT)); then
      log "note: the machine is still ${busy}% busy with other work; measuring anyway"
      return 0
    fi
    log "the machine is ${busy}% busy with other work; waiting for it to settle (at most $((QUIET_WAIT - waited)) s more)"
    waited=$((waited + 2))
  done
}

# Waits (at most 30 s) until tenantd has finished the work an earlier run
# left behind (e.g. writing the sessions of signed_fresh in the background),
# so that work is neither charged to the next run nor slows its baseline.
settle_tenantd() {
  local waited=0 t0 t1
  while ((waited < 30)); do
    t0=$(cpu_ticks "$TENANTD_PID")
    sleep 0.5
    t1=$(cpu_ticks "$TENANTD_PID")
    # Under 5% of one CPU.
    (((t1 - t0) * 100 <= CLK_TCK * 5 / 2)) && return 0
    waited=$((waited + 1))
  done
  log "note: tenantd still busy after 30 s; measuring anyway"
}

measure() {
  local name=$1 port=$2 run=$3 out="$WORK/wrk-$1-$3.txt" pids before after
  local wrk0 busy0 total0 wrk_cpu machine_cpu other_cpu
  settle_tenantd
  pids=$(server_pids "$name")
  # shellcheck disable=SC2086
  before=$(cpu_ticks $pids)
  children_cpu
  wrk0=$CHILDREN_CPU
  machine_ticks
  busy0=$MACHINE_BUSY total0=$MACHINE_TOTAL
  run_wrk "$name" "$port" "$DURATION" "$out"
  machine_ticks
  children_cpu
  wrk_cpu=$(awk -v a="$CHILDREN_CPU" -v b="$wrk0" 'BEGIN { printf "%.2f", a - b }')
  # shellcheck disable=SC2086
  after=$(cpu_ticks $pids)
  local rps p99 requests non2xx sockerr
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p99=$(awk '$1 == "99%" { print $2 }' "$out")
  requests=$(awk '/requests in/ { print $1 }' "$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  sockerr=$(awk '/Socket errors:/ { sub(/^.*Socket errors: /, ""); print }' "$out")
  if [[ -z "$rps" || -z "$p99" || -z "$requests" ]]; then
    cat "$out" >&2
    die "could not parse the wrk output for $name"
  fi
  if [[ -n "$non2xx" ]]; then
    cat "$out" >&2
    die "$name answered $non2xx non-2xx responses to GET $WRK_PATH"
  fi
  local cpu cap
  cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
  machine_cpu=$(awk -v t=$((MACHINE_BUSY - busy0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
  # Everything else that ran meanwhile: machine busy time - server - wrk.
  # (Loopback TCP work in softirq mostly lands in the two processes' times,
  # so this is essentially other processes.)
  other_cpu=$(awk -v m="$machine_cpu" -v s="$cpu" -v w="$wrk_cpu" \
    'BEGIN { o = m - s - w; printf "%.2f", (o < 0 ? 0 : o) }')
  cap=$(awk -v t=$((MACHINE_TOTAL - total0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$run" "$rps" \
    "$(to_ms "$p99")" "$cpu" "$requests" "${sockerr:--}" "$wrk_cpu" "$other_cpu" "$cap" >>"$RESULTS"
  log "$(printf '%-7s run %d: %6.0f req/s  p99 %6s ms  CPU s: server %5s wrk %5s other %5s (of %s)  %s' \
    "$name" "$run" "$rps" "$(to_ms "$p99")" "$cpu" "$wrk_cpu" "$other_cpu" "$cap" \
    "${sockerr:+socket errors: $sockerr}")"
}

# Median run of a server by req/s (the lower middle one for an even count);
# prints "rps p99_ms cpu_s requests run".
median_of() {
  awk -F'\t' -v s="$1" '$1 == s { print $3 "\t" $4 "\t" $5 "\t" $6 "\t" $2 }' "$RESULTS" |
    sort -t$'\t' -k1,1g | awk -F'\t' '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

# Peak and current resident memory of a process, in MiB.
vm_field_mib() {
  awk -v f="$2:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null
}

# --- run -------------------------------------------------------------------

log "work directory $WORK"
LOADAVG=$(awk '{ print $1 ", " $2 ", " $3 }' /proc/loadavg 2>/dev/null || echo unknown)
IDLE_BUSY_PCT=0
wait_quiet
start_nginx
log "nginx   pid $NGINX_PID on $HOST:$NGINX_PORT"
start_tenantd
log "tenantd pid $TENANTD_PID on $HOST:$TENANTD_PORT"

# A tenant and an API key for the authenticated series (secrets stay in
# this script's memory and the temporary work directory).
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
ADMIN_TOKEN=$(cat "$WORK/tenantd-data/admin.token")
CREATED=$(curl -sf -X POST "http://$HOST:$TENANTD_PORT/admin/v1/tenants" \
  -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d '{"slug":"bench","name":"Bench"}') || die "could not create the bench tenant"
APP_KEY=$(json_field app_key <<<"$CREATED")
APP_SECRET=$(json_field app_secret <<<"$CREATED")
API_KEY=$(curl -sf -X POST "http://$HOST:$TENANTD_PORT/v1/api-keys" \
  -H "X-App-Key: $APP_KEY" -H "X-App-Secret: $APP_SECRET" -H 'Content-Type: application/json' \
  -d '{"name":"bench"}' | json_field secret) || die "could not create the bench API key"
# The session a signed request starts, for the series that keeps its cookie.
X_DATE=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
SIGNATURE=$(printf 'GET\n/v1/whoami\n%s\n%s\nbench-cookie' "$X_DATE" "$EMPTY_SHA256" |
  openssl dgst -sha256 -hmac "$APP_SECRET" -r | cut -d' ' -f1)
SESSION_COOKIE=$(curl -sf -o /dev/null -D - "http://$HOST:$TENANTD_PORT/v1/whoami" \
  -H "X-App-Key: $APP_KEY" -H "X-Date: $X_DATE" -H "X-Content-Sha256: $EMPTY_SHA256" \
  -H "X-Nonce: bench-cookie" -H "X-App-Signature: $SIGNATURE" |
  sed -n 's/^[Ss]et-[Cc]ookie: \(sid=[^;]*\).*/\1/p') || die "could not start the bench session"
[[ -n "$APP_KEY" && -n "$APP_SECRET" && -n "$API_KEY" && -n "$SESSION_COOKIE" ]] ||
  die "could not read the bench credentials"
log "setting up $READ_TENANTS tenants, each with an API key and a product"
PRODUCT_BYTES=$(python3 "$ROOT/bench/setup_products.py" "$TENANTD_PORT" "$ADMIN_TOKEN" \
  "$READ_TENANTS" "$WORK/products.lua") || die "could not set up the product-read tenants"
NGINX_PRODUCT_BYTES=${#NGINX_PRODUCT_BODY}
start_redis
start_tenantd_redis
log "redis-server pid $REDIS_PID on $HOST:$REDIS_PORT; tenantd with REDIS_URL pid $TENANTD_REDIS_PID on $HOST:$TENANTD_REDIS_PORT"
SERIES=(nginx tenantd apikey apikey_redis signed signed_fresh nginx_product products)

TENANTD_RSS_IDLE=$(vm_field_mib "$TENANTD_PID" VmRSS)

if ((WARMUP > 0)); then
  log "warming up ${WARMUP}s each"
  for series in "${SERIES[@]}"; do
    port=$TENANTD_PORT
    if [[ $series == nginx* ]]; then port=$NGINX_PORT; fi
    if [[ $series == apikey_redis ]]; then port=$TENANTD_REDIS_PORT; fi
    run_wrk "$series" "$port" "$WARMUP" "$WORK/warmup-$series.txt"
  done
fi

log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency, $RUNS runs per server, alternating"
for ((r = 1; r <= RUNS; r++)); do
  measure nginx "$NGINX_PORT" "$r"
  kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited during the run"
  for series in tenantd apikey signed signed_fresh; do
    measure "$series" "$TENANTD_PORT" "$r"
    kill -0 "$TENANTD_PID" 2>/dev/null || die "tenantd exited during the run ($series)"
    if [[ $series == apikey ]]; then
      measure apikey_redis "$TENANTD_REDIS_PORT" "$r"
      kill -0 "$TENANTD_REDIS_PID" 2>/dev/null || die "tenantd with REDIS_URL exited during the run"
    fi
  done
  measure nginx_product "$NGINX_PORT" "$r"
  measure products "$TENANTD_PORT" "$r"
  kill -0 "$TENANTD_PID" 2>/dev/null || die "tenantd exited during the run (products)"
done
POOL_METRICS=$(curl -sf "http://$HOST:$TENANTD_PORT/metrics" | grep '^tenantd_tenant_db_' || true)
if command -v sqlite3 >/dev/null 2>&1; then
  SESSIONS_CREATED=$(sqlite3 "$WORK/tenantd-data/control.db" 'SELECT count(*) FROM sessions' 2>/dev/null || echo unknown)
else
  SESSIONS_CREATED=unknown
fi

TENANTD_HWM=$(vm_field_mib "$TENANTD_PID" VmHWM)
TENANTD_RSS=$(vm_field_mib "$TENANTD_PID" VmRSS)
NGINX_RSS=0
for pid in $(server_pids nginx); do
  NGINX_RSS=$(awk -v a="$NGINX_RSS" -v b="$(vm_field_mib "$pid" VmHWM)" 'BEGIN { printf "%.1f", a + b }')
done
ACCESS_LINES=$(wc -l <"$WORK/tenantd-data/storage/framework/log.txt" 2>/dev/null || echo 0)

read -r N_RPS N_P99 N_CPU N_REQ N_RUN <<<"$(median_of nginx)"
read -r T_RPS T_P99 T_CPU T_REQ T_RUN <<<"$(median_of tenantd)"
RATIO=$(awk -v t="$T_RPS" -v n="$N_RPS" 'BEGIN { printf "%.2f", t / n }')
P99_RATIO=$(awk -v t="$T_P99" -v n="$N_P99" 'BEGIN { printf "%.2f", (n > 0 ? t / n : 0) }')
# CPU time the server spent per request, in microseconds.
N_US=$(awk -v c="$N_CPU" -v q="$N_REQ" 'BEGIN { printf "%.1f", c * 1e6 / q }')
T_US=$(awk -v c="$T_CPU" -v q="$T_REQ" 'BEGIN { printf "%.1f", c * 1e6 / q }')
CPU_RATIO=$(awk -v t="$T_US" -v n="$N_US" 'BEGIN { printf "%.2f", (n > 0 ? t / n : 0) }')
PASS=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r + 0 >= t + 0) ? "PASS" : "FAIL" }')
# Authenticated series against tenantd's /healthz: "rps p99 ratio us result".
auth_row() {
  local rps p99 cpu req run ratio us result
  read -r rps p99 cpu req run <<<"$(median_of "$1")"
  ratio=$(awk -v a="$rps" -v b="$T_RPS" 'BEGIN { printf "%.2f", a / b }')
  us=$(awk -v c="$cpu" -v q="$req" 'BEGIN { printf "%.1f", c * 1e6 / q }')
  result=$(awk -v r="$ratio" -v t="$AUTH_TARGET_RATIO" 'BEGIN { print (r + 0 >= t + 0) ? "PASS" : "FAIL" }')
  echo "$rps $p99 $ratio $us $result $run"
}
read -r A_RPS A_P99 A_RATIO A_US A_PASS A_RUN <<<"$(auth_row apikey)"
read -r S_RPS S_P99 S_RATIO S_US S_PASS S_RUN <<<"$(auth_row signed)"
read -r F_RPS F_P99 F_RATIO F_US F_PASS F_RUN <<<"$(auth_row signed_fresh)"
read -r R_RPS R_P99 R_CPU R_REQ R_RUN <<<"$(median_of apikey_redis)"
R_RATIO=$(awk -v r="$R_RPS" -v a="$A_RPS" 'BEGIN { printf "%.2f", r / a }')
R_US=$(awk -v c="$R_CPU" -v q="$R_REQ" 'BEGIN { printf "%.1f", c * 1e6 / q }')
R_PASS=$(awk -v r="$R_RATIO" -v t="$REDIS_TARGET_RATIO" 'BEGIN { print (r + 0 >= t + 0) ? "PASS" : "FAIL" }')
# Redis's own share: its CPU time over the whole bench, and the time its Lua
# script took per call (INFO commandstats), per rate-limit check made.
read -r REDIS_CALLS REDIS_EVAL_US <<<"$(redis-cli -h "$HOST" -p "$REDIS_PORT" info commandstats |
  tr -d '\r' | awk -F'[:=,]' '/^cmdstat_evalsha:/ { print $3, $7 }')"
REDIS_CPU_US=$(awk -v t="$(cpu_ticks "$REDIS_PID")" -v hz="$CLK_TCK" -v n="${REDIS_CALLS:-0}" \
  'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
R_LIMITED=$(curl -sf "http://$HOST:$TENANTD_REDIS_PORT/metrics" |
  awk '/^tenantd_rate_limited_total/ { n += $2 } /^tenantd_rate_limit_local_fallbacks_total/ { f += $2 }
       END { printf "%d %d", n, f }')
read -r NP_RPS NP_P99 NP_CPU NP_REQ NP_RUN <<<"$(median_of nginx_product)"
read -r P_RPS P_P99 P_CPU P_REQ P_RUN <<<"$(median_of products)"
P_RATIO=$(awk -v t="$P_RPS" -v n="$NP_RPS" 'BEGIN { printf "%.2f", t / n }')
NP_US=$(awk -v c="$NP_CPU" -v q="$NP_REQ" 'BEGIN { printf "%.1f", c * 1e6 / q }')
P_US=$(awk -v c="$P_CPU" -v q="$P_REQ" 'BEGIN { printf "%.1f", c * 1e6 / q }')
P_PASS=$(awk -v r="$P_RATIO" -v t="$PRODUCT_TARGET_RATIO" 'BEGIN { print (r + 0 >= t + 0) ? "PASS" : "FAIL" }')
P_P99_PASS=$(awk -v p="$P_P99" -v t="$PRODUCT_TARGET_P99_MS" 'BEGIN { print (p + 0 < t + 0) ? "PASS" : "FAIL" }')
pool_metric() { awk -v m="$1" '$1 == m { print $2 }' <<<"$POOL_METRICS"; }
POOL_OPEN=$(pool_metric 'tenantd_tenant_db_handles{state="open"}')
POOL_HITS=$(pool_metric tenantd_tenant_db_hits_total)
POOL_MISSES=$(pool_metric tenantd_tenant_db_misses_total)
POOL_EVICTIONS=$(pool_metric tenantd_tenant_db_evictions_total)
# Share of the CPUs other processes took during the runs: above 10%, the
# servers competed with unrelated work and the figures are unreliable.
OTHER_PCT=$(awk -F'\t' '{ o += $9; c += $10 } END { printf "%.0f", (c > 0 ? 100 * o / c : 0) }' "$RESULTS")
if ((OTHER_PCT > 10)); then
  NOISE_NOTE="**Other processes took ${OTHER_PCT}% of the CPUs during the runs: the servers competed with unrelated work, so these figures are unreliable; run again on a quiet machine.**"
else
  NOISE_NOTE="Other processes took ${OTHER_PCT}% of the CPUs during the runs."
fi

stop_pid "$TENANTD_PID"
TENANTD_PID=""
stop_pid "$TENANTD_REDIS_PID"
TENANTD_REDIS_PID=""
stop_pid "$REDIS_PID"
REDIS_PID=""
stop_pid "$NGINX_PID"
NGINX_PID=""

log "provisioning: create and migrate $PROVISION_TENANTS tenants"
wait_quiet
run_child "$WORK/provisioning.json" "$WORK/provisioning.err" timeout 900 \
  python3 "$ROOT/bench/provisioning.py" "$TENANTD" "$TENANTD_NEXT" "$WORK" "$PROVISION_TENANTS" || {
  cat "$WORK/provisioning.err" >&2
  die "the provisioning benchmark failed"
}
prov() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/provisioning.json" "$1"; }
PV_CREATE_S=$(prov create_seconds)
PV_CREATE_RATE=$(prov create_per_second)
PV_CONNECTIONS=$(prov connections)
PV_SERVER_RSS=$(prov server_peak_rss_mib)
PV_MIGRATE_S=$(prov migrate_seconds)
PV_MIGRATE_RATE=$(prov migrate_per_second)
PV_MIGRATE_RSS=$(prov migrate_peak_rss_mib)
PV_JOBS=$(prov migrate_jobs)
PV_RERUN_S=$(prov rerun_seconds)
target_s() { awk -v s="$1" -v t="$PROVISION_TARGET_S" -v n="$PROVISION_TENANTS" 'BEGIN {
  # The target is for 10,000 tenants; smaller runs are scaled to it.
  print (s * 10000 / n < t) ? "PASS" : "FAIL" }'; }
PV_CREATE_PASS=$(target_s "$PV_CREATE_S")
PV_MIGRATE_PASS=$(target_s "$PV_MIGRATE_S")

BACKUP_PRODUCTS=${BENCH_BACKUP_PRODUCTS:-10000}
BACKUP_MIB=${BENCH_BACKUP_MIB:-1024}
log "backup and restore: a tenant with $BACKUP_PRODUCTS products and $BACKUP_MIB MiB of files"
wait_quiet
run_child "$WORK/backup.json" "$WORK/backup.err" timeout 1800 \
  env TENANTD_CONFIG="$WORK/tenantd.toml" \
  python3 "$ROOT/bench/backup_restore.py" "$TENANTD" "$WORK" "$BACKUP_PRODUCTS" "$BACKUP_MIB" 16 || {
  cat "$WORK/backup.err" >&2
  die "the backup benchmark failed"
}
bk() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/backup.json" "$1"; }
BK_ARCHIVE_MIB=$(bk archive_mib)
BK_BACKUP_S=$(bk backup_seconds)
BK_BACKUP_RATE=$(bk backup_mib_per_second)
BK_RESTORE_S=$(bk restore_seconds)
BK_RESTORE_RATE=$(bk restore_mib_per_second)
BK_RSS_BEFORE=$(bk server_rss_before_mib)
BK_RSS_BACKUP=$(bk server_peak_rss_backup_mib)
BK_RSS_RESTORE=$(bk server_peak_rss_restore_mib)
if [[ "$(bk files_via_api)" == True ]]; then
  BK_FILES_HOW="uploaded through \`POST /v1/files\` (\`application/octet-stream\`, streamed)"
else
  BK_FILES_HOW="put in place as the files feature stores them (this build has no upload route)"
fi
rm -rf "$WORK/backup-data"
log "files: 1 GiB upload and download against nginx sendfile; memory at 64 MiB and 4 GiB"
wait_quiet
run_child "$WORK/files.json" "$WORK/files.err" timeout 1800 \
  env TENANTD_CONFIG="$WORK/tenantd.toml" python3 "$ROOT/bench/files.py" "$TENANTD" "$WORK" "$FILES_RUNS" || {
  cat "$WORK/files.err" >&2
  die "the files benchmark failed"
}
fl() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/files.json" "$1"; }
FL_NGINX=$(fl nginx_download_mib_s)
FL_UP=$(fl upload_mib_s)
FL_DOWN=$(fl download_mib_s)
FL_UP_RATIO=$(fl upload_ratio)
FL_DOWN_RATIO=$(fl download_ratio)
FL_RSS_64M=$(fl rss_64m_mib)
FL_RSS_4G=$(fl rss_4g_mib)
FL_DISK=$(fl disk_write_mib_s)
FL_UP_DISK=$(fl upload_vs_disk)
ratio_pass() { awk -v r="$1" -v t="$FILES_TARGET_RATIO" 'BEGIN { print (r >= t) ? "PASS" : "FAIL" }'; }
FL_UP_PASS=$(ratio_pass "$FL_UP_RATIO")
FL_DOWN_PASS=$(ratio_pass "$FL_DOWN_RATIO")
FL_RSS_PASS=$(awk -v big="$FL_RSS_4G" -v small="$FL_RSS_64M" 'BEGIN {
  print (big < 64 && big <= small + 16) ? "PASS" : "FAIL" }')

log "hot paths: $HOT_BENCH --benchmark_min_time=$MIN_TIME"
run_child "$WORK/hot_paths.txt" "$WORK/hot_paths.err" \
  timeout 300 "$HOT_BENCH" --benchmark_min_time="$MIN_TIME" || {
  cat "$WORK/hot_paths.err" "$WORK/hot_paths.txt" >&2
  die "hot_paths_bench failed"
}
# The table: from the dashed line above the header to the end.
HOT_TABLE=$(awk '/^----------+$/ && !seen { seen = 1 } seen' "$WORK/hot_paths.txt")
[[ -n "$HOT_TABLE" ]] || die "could not find the table in the hot_paths_bench output"

# --- report ----------------------------------------------------------------

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)
TENANTD_VERSION=$( ("$TENANTD" version 2>/dev/null || true) | awk 'NR == 1 { print $NF }')
NGINX_VERSION=$( (nginx -v 2>&1 || true) | sed -n '1s|^nginx version: nginx/||p')
WRK_VERSION=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')
BENCHMARK_VERSION=$(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null || echo unknown)
COMPILER=$(awk -F= '/^CMAKE_CXX_COMPILER:/ { print $2 }' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)
COMPILER_VERSION=$( ("${COMPILER:-c++}" --version 2>/dev/null || true) | awk 'NR == 1')
BUILD_TYPE=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)

fmt_rps() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }

mkdir -p "$(dirname "$OUT")"
TMP_OUT="$WORK/benchmarks.md"
{
  cat <<EOF
# Benchmarks

Written by \`make bench\` (\`scripts/bench.sh\`); do not edit by hand. Every
figure below was measured in one run on one machine, so compare the ratios,
not the absolute numbers, with other machines.

- Date: $(date -u '+%Y-%m-%d %H:%M UTC')
- Machine: $(nproc) CPUs, ${CPU_MODEL:-unknown CPU}, ${MEM_TOTAL:-unknown} RAM, Linux $(uname -r)
- Load when the run started: load average (1, 5, 15 min) $LOADAVG; the
  CPUs were ${IDLE_BUSY_PCT}% busy with other work just before the servers started
- Versions: tenantd ${TENANTD_VERSION:-unknown} ($BUILD_TYPE build, ${COMPILER_VERSION:-unknown compiler}), nginx $NGINX_VERSION, wrk $WRK_VERSION, Google Benchmark $BENCHMARK_VERSION

## GET /healthz: tenantd against nginx

### Method

- Both servers listen on 127.0.0.1 and run at the same time on this machine,
  together with wrk; nothing is pinned to a CPU.
- tenantd: \`tenantd serve --host 127.0.0.1 --port P --data <temp dir>\` with
  the defaults (one event-loop thread per CPU, text access log to stdout,
  redirected to a file, and to \`<data>/storage/framework/log.txt\`), answering
  \`{"ok":true}\` (11 bytes, \`application/json\`).
- nginx: generated configuration, \`worker_processes auto\`,
  \`keepalive_requests 1000000\`, \`location = /healthz { default_type
  application/json; return 200 '{"ok":true}'; }\` (the same 11-byte body), an
  access log line of the same fields and about the same length as tenantd's,
  buffered (\`buffer=256k flush=1s\`) as tenantd's writer buffers.
- Load: \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency http://127.0.0.1:P/healthz\`
  (keep-alive). After a ${WARMUP}-second warm-up of each server, $RUNS runs per
  server, alternating nginx, tenantd, nginx, tenantd, ...
- Before every run the script waits (at most 30 s) until tenantd uses under
  5% of a CPU, so work left from the run before (sessions written in the
  background after \`signed_fresh\`) neither slows the next baseline nor
  is charged to it.
- Figures: per server, the **median run by req/s** (the lower middle one for
  an even count); its p99 is from that same run. Every run is listed below.
- Server CPU: user + system time of the server process(es) during the run
  (\`/proc/PID/stat\`), divided by the requests served.
- Target (issue): tenantd at least **${TARGET_RATIO}** of nginx's req/s.

### Results

| server | req/s | p99 | ratio vs nginx (req/s) | target | result | server CPU per request |
|---|---:|---:|---:|---:|:---:|---:|
| nginx $NGINX_VERSION | $(fmt_rps "$N_RPS") | ${N_P99} ms | 1.00 | | | ${N_US} µs |
| tenantd | $(fmt_rps "$T_RPS") | ${T_P99} ms | **${RATIO}** | ≥ ${TARGET_RATIO} | **${PASS}** | ${T_US} µs |

- Median runs: nginx run ${N_RUN}, tenantd run ${T_RUN} (of ${RUNS} each).
- p99 tenantd / nginx: ${P99_RATIO}; server CPU per request tenantd / nginx: ${CPU_RATIO}.

All runs:

| server | run | req/s | p99 | requests | socket errors | CPU s: server | wrk | other | capacity |
|---|---:|---:|---:|---:|---|---:|---:|---:|---:|
EOF
  sort -t$'\t' -k1,1 -k2,2n "$RESULTS" | awk -F'\t' '{
    printf "| %s | %s | %.0f | %s ms | %s | %s | %s | %s | %s | %s |\n",
      $1, $2, $3, $4, $6, $7, $5, $8, $9, $10 }'
  cat <<EOF

CPU seconds per run, from \`/proc\`: the server's processes, wrk, everything
else on the machine (its busy time minus those two: other processes), and the
capacity ($(nproc) CPUs × the run's length). ${NOISE_NOTE}
EOF
  cat <<EOF

### Memory

- tenantd peak resident memory (VmHWM, after all runs): **${TENANTD_HWM} MiB**
  (${TENANTD_RSS_IDLE} MiB resident before the load, ${TENANTD_RSS} MiB after it).
- nginx, master and workers together (sum of VmHWM): ${NGINX_RSS} MiB.
- tenantd wrote ${ACCESS_LINES} access-log lines to \`log.txt\` during the run.

## Authenticated reads: GET /v1/whoami against tenantd's own /healthz

### Method

- Same server, same run, same wrk settings as above (measured in turn with
  the /healthz runs: nginx, tenantd /healthz, then each series below). Each
  request is authenticated in full (tenant resolved, credentials verified,
  tenant status checked) and answered with the ~310-byte whoami document.
- **API key**: \`Authorization: Bearer sk_live_…\` (a secret key).
- **Signed, keeping the cookie**: mode B, every request signed afresh with a
  unique \`X-Nonce\` (\`bench/wrk/signed_whoami.lua\`, HMAC through
  OpenSSL via LuaJIT's FFI), sending the \`sid\` cookie of an earlier signed
  request, as a client with a cookie jar does (one session for the run).
- **Signed, ignoring cookies**: the same, but the client never sends the
  cookie back, so every request starts (and stores) a new session, as
  api.md §4 requires for a mode B request without one.
- The wrk client computes the HMACs in Lua on the same 2 CPUs, so it takes
  a larger share of the machine than in the /healthz runs.
- Target (issue): the signed and API-key reads at least
  **${AUTH_TARGET_RATIO}** of the /healthz req/s.

### Results

| series | req/s | p99 | ratio vs tenantd /healthz | target | result | server CPU per request |
|---|---:|---:|---:|---:|:---:|---:|
| tenantd GET /healthz | $(fmt_rps "$T_RPS") | ${T_P99} ms | 1.00 | | | ${T_US} µs |
| API key | $(fmt_rps "$A_RPS") | ${A_P99} ms | **${A_RATIO}** | ≥ ${AUTH_TARGET_RATIO} | **${A_PASS}** | ${A_US} µs |
| signed, keeping the cookie | $(fmt_rps "$S_RPS") | ${S_P99} ms | **${S_RATIO}** | ≥ ${AUTH_TARGET_RATIO} | **${S_PASS}** | ${S_US} µs |
| signed, ignoring cookies | $(fmt_rps "$F_RPS") | ${F_P99} ms | **${F_RATIO}** | ≥ ${AUTH_TARGET_RATIO} | **${F_PASS}** | ${F_US} µs |

- Sessions in the control store after the runs: ${SESSIONS_CREATED} (nearly
  all from the cookie-ignoring series: one per request, written behind in
  batches; see docs/api.md).
- Every run of every series is in the "All runs" table above.

## API-key read with Redis: REDIS_URL against the same read without

### Method

- A redis-server $(redis-server --version 2>/dev/null | sed -n 's/.*v=\([^ ]*\).*/\1/p') of
  the script's own on a loopback port (no persistence), and a second tenantd
  on the same data directory with \`REDIS_URL=redis://127.0.0.1:P/0\`, so
  every request's rate-limit check (tenant plan and credential, one Lua
  script) is a round trip to Redis instead of a lookup in the process. Each
  of tenantd's event loops pipelines its requests' checks over one
  connection, and serves other requests while Redis answers.
- The same API-key whoami request as above, measured right after the
  in-process API-key run of each round, with the same wrk settings.
- Target (issue): at least **${REDIS_TARGET_RATIO}** of the same read
  without Redis.

### Results

| series | req/s | p99 | ratio vs API key without Redis | target | result | server CPU per request |
|---|---:|---:|---:|---:|:---:|---:|
| API key, in-process limits | $(fmt_rps "$A_RPS") | ${A_P99} ms | 1.00 | | | ${A_US} µs |
| API key, limits in Redis | $(fmt_rps "$R_RPS") | ${R_P99} ms | **${R_RATIO}** | ≥ ${REDIS_TARGET_RATIO} | **${R_PASS}** | ${R_US} µs |

- Requests refused with 429, and checks Redis could not answer, on the
  Redis process: ${R_LIMITED% *} and ${R_LIMITED#* } (both should be 0).
- Server CPU per request does not include redis-server's CPU: redis-server
  used **${REDIS_CPU_US} µs** of CPU per rate-limit check over the whole
  run (${REDIS_CALLS:-0} checks), of which ${REDIS_EVAL_US:-?} µs inside the Lua
  script (\`INFO commandstats\`); on these shared CPUs, that time is taken
  from tenantd and wrk.

## Tenant reads: GET /v1/products/{id} over ${READ_TENANTS} tenants against nginx

### Method

- ${READ_TENANTS} tenants, each with its own SQLite database, one secret API
  key and one product, created through the HTTP API before the runs
  (\`bench/setup_products.py\`).
- Load: \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s\` with
  \`bench/wrk/products_random.lua\`: every request picks a tenant at random
  and reads its product with its API key, so each request resolves the key,
  checks the tenant, leases that tenant's database handle from the pool and
  reads one row. The answer is ${PRODUCT_BYTES} bytes of JSON.
- Baseline: the same nginx, \`return 200\` with a ${NGINX_PRODUCT_BYTES}-byte
  product document at \`/product\`, measured in turn with tenantd in the
  same runs.
- Targets (issue): at least **${PRODUCT_TARGET_RATIO}** of nginx's req/s, and
  p99 under **${PRODUCT_TARGET_P99_MS} ms** at ${CONNECTIONS} connections.

### Results

| server | req/s | p99 | ratio vs nginx | target | result | p99 target | result | server CPU per request |
|---|---:|---:|---:|---:|:---:|---:|:---:|---:|
| nginx \`return 200\` | $(fmt_rps "$NP_RPS") | ${NP_P99} ms | 1.00 | | | | | ${NP_US} µs |
| tenantd, random tenant | $(fmt_rps "$P_RPS") | ${P_P99} ms | **${P_RATIO}** | ≥ ${PRODUCT_TARGET_RATIO} | **${P_PASS}** | < ${PRODUCT_TARGET_P99_MS} ms | **${P_P99_PASS}** | ${P_US} µs |

- Tenant database pool after the runs: ${POOL_OPEN:-?} handles open,
  ${POOL_HITS:-?} hits, ${POOL_MISSES:-?} misses, ${POOL_EVICTIONS:-?}
  evictions (default capacity 1024 handles).
- tenantd's peak resident memory, in the Memory section above, includes
  these ${READ_TENANTS} open tenant databases.

## Provisioning and migrating ${PROVISION_TENANTS} tenants

### Method

- \`bench/provisioning.py\`: a fresh \`tenantd serve\` on an empty data
  directory; ${PROVISION_TENANTS} \`POST /admin/v1/tenants\` over
  ${PV_CONNECTIONS} keep-alive connections. Each answer comes after the
  tenant's database is created, migrated, flushed to disk (fsync) and its
  control row committed.
- Then, the server stopped, \`tenantd_next migrate --all --jobs ${PV_JOBS}\`:
  tenantd with one more migration (\`ALTER TABLE products ADD COLUMN
  archived_at\` and an index, from \`tests/next_release\`), applied to every
  tenant database; then the same command again, which finds nothing to do.
- Peak resident memory: the server's VmHWM after the creates; the migrate
  process's ru_maxrss.
- Targets (issue): each under **${PROVISION_TARGET_S} s** for 10,000 tenants.

### Results

| step | time | rate | target | result | peak RSS |
|---|---:|---:|---:|:---:|---:|
| create ${PROVISION_TENANTS} tenants | ${PV_CREATE_S} s | ${PV_CREATE_RATE} /s | < ${PROVISION_TARGET_S} s | **${PV_CREATE_PASS}** | ${PV_SERVER_RSS} MiB (server) |
| migrate ${PROVISION_TENANTS} tenant databases | ${PV_MIGRATE_S} s | ${PV_MIGRATE_RATE} /s | < ${PROVISION_TARGET_S} s | **${PV_MIGRATE_PASS}** | ${PV_MIGRATE_RSS} MiB (migrate) |
| migrate again (nothing to do) | ${PV_RERUN_S} s | | | | |

## Backup and restore of a tenant with ${BACKUP_PRODUCTS} products and ${BACKUP_MIB} MiB of files

### Method

- \`bench/backup_restore.py\`: a fresh \`tenantd serve\`; one tenant with
  ${BACKUP_PRODUCTS} products (\`POST /v1/products\`) and ${BACKUP_MIB} MiB of random
  (incompressible) bytes in 16 files, ${BK_FILES_HOW}.
- Backup: \`POST /admin/v1/tenants/{id}/backups\`, timed until the answer,
  which comes once the archive (database snapshot, every file, manifest with
  SHA-256s; gzip level 1) is written, fsynced and renamed into place.
- Restore: \`POST /admin/v1/tenants/{id}/restore\` of that backup, timed
  until the answer: extract and verify every checksum, migrate, swap the
  file tree, copy the database, fsync.
- Server resident memory sampled every 50 ms during each.

### Results

| step | time | throughput | server peak RSS |
|---|---:|---:|---:|
| backup (archive ${BK_ARCHIVE_MIB} MiB) | ${BK_BACKUP_S} s | ${BK_BACKUP_RATE} MiB/s | ${BK_RSS_BACKUP} MiB |
| restore | ${BK_RESTORE_S} s | ${BK_RESTORE_RATE} MiB/s | ${BK_RSS_RESTORE} MiB |

The server held ${BK_RSS_BEFORE} MiB before the backup: memory does not grow
with the size of the files (they stream through 1 MiB buffers).
## Files: 1 GiB transfers against nginx sendfile

### Method

- \`bench/files.py\`: one 1 GiB file of random bytes, in the page cache.
  nginx (\`sendfile on\`, one worker, no access log) serves it as a static
  file; tenantd takes it as \`POST /v1/files\` (raw body streamed by
  \`curl -T\`: hashed, written, fsynced and committed before the
  answer) and serves it back as \`GET /v1/files/{id}\` (sendfile). Each
  transfer is timed by curl (\`time_total\`), ${FILES_RUNS} times, alternating;
  the median counts. Both directions are compared with nginx's download.
- Memory: tenantd's peak resident memory (VmHWM, reset through
  \`/proc/PID/clear_refs\` before each step) during a 64 MiB upload +
  download, and during a 4 GiB one.
- Targets (issue): upload and download each at least **${FILES_TARGET_RATIO}** of
  nginx's download; peak RSS during 4 GiB under 64 MiB and at most the
  64 MiB figure + 16 MiB.

### Results

| transfer | MiB/s | ratio vs nginx download | target | result |
|---|---:|---:|---:|:---:|
| nginx download (sendfile) | ${FL_NGINX} | 1.00 | | |
| tenantd upload | ${FL_UP} | ${FL_UP_RATIO} | ≥ ${FILES_TARGET_RATIO} | **${FL_UP_PASS}** |
| tenantd download | ${FL_DOWN} | ${FL_DOWN_RATIO} | ≥ ${FILES_TARGET_RATIO} | **${FL_DOWN_PASS}** |

An upload is answered only once its bytes are on disk (fsync), so the disk
bounds it, not the network: writing 1 GiB and fsyncing it to the data
directory's disk (Python, 4 MiB writes) ran at ${FL_DISK} MiB/s in this run;
tenantd's upload reached **${FL_UP_DISK}** of that.

| tenantd peak RSS during | MiB |
|---|---:|
| 64 MiB upload + download | ${FL_RSS_64M} |
| 4 GiB upload + download | ${FL_RSS_4G} (**${FL_RSS_PASS}**: < 64 and ≤ 64 MiB figure + 16) |

## Hot paths (Google Benchmark)

\`hot_paths_bench --benchmark_min_time=${MIN_TIME}\` (sources in \`bench/\`):
\`Router::Find\` on tenantd's real routes, access-log formatting and masking,
problem+json answers, SHA-256 / HMAC-SHA256 / constant-time compare of 32-byte
values, request ids. Read the CPU column: Time is wall-clock and grows when
other processes take the CPU. Debian's libbenchmark reports itself as a debug
build; that concerns the harness library, not the code measured (built ${BUILD_TYPE}).

\`\`\`
$HOT_TABLE
\`\`\`

## Reproduce

\`\`\`sh
make bench    # builds Release with -DTENANTD_BUILD_BENCH=ON, then runs scripts/bench.sh build/bench
\`\`\`

Environment knobs: \`BENCH_RUNS\` (wrk runs per server), \`BENCH_DURATION\`
(seconds per run), \`BENCH_WARMUP\` (seconds), \`BENCH_TENANTS\` (tenants
of the product reads), \`BENCH_PROVISION_TENANTS\` (tenants created and
migrated), \`BENCH_FILES_RUNS\` (1 GiB transfers per server), \`BENCH_MIN_TIME\` (Google
Benchmark seconds per benchmark), \`BENCH_QUIET_WAIT\` (longest wait for the
machine to go idle before measuring). Close other load first: the servers and
wrk share this machine's CPUs, and the report flags runs that competed with
other processes.
EOF
} >"$TMP_OUT"
mv "$TMP_OUT" "$OUT"

log "wrote $OUT"
printf 'nginx   %10.0f req/s  p99 %s ms\n' "$N_RPS" "$N_P99"
printf 'tenantd %10.0f req/s  p99 %s ms  ratio %s (target >= %s): %s  peak RSS %s MiB\n' \
  "$T_RPS" "$T_P99" "$RATIO" "$TARGET_RATIO" "$PASS" "$TENANTD_HWM"
if ((OTHER_PCT > 10)); then
  echo "WARNING: other processes took ${OTHER_PCT}% of the CPUs during the runs; the figures are unreliable (run again on a quiet machine)." >&2
fi
printf 'whoami  api key %s, signed+cookie %s, signed fresh %s of /healthz (target >= %s)\n' \
  "$A_RATIO" "$S_RATIO" "$F_RATIO" "$AUTH_TARGET_RATIO"
printf 'api key with REDIS_URL: %s of the same read without (target >= %s): %s\n' \
  "$R_RATIO" "$REDIS_TARGET_RATIO" "$R_PASS"
printf 'product read over %s tenants: %s of nginx (target >= %s), p99 %s ms (target < %s)\n' \
  "$READ_TENANTS" "$P_RATIO" "$PRODUCT_TARGET_RATIO" "$P_P99" "$PRODUCT_TARGET_P99_MS"
printf 'files 1 GiB: upload %s, download %s of nginx sendfile (target >= %s); peak RSS 64 MiB %s, 4 GiB %s MiB\n' \
  "$FL_UP_RATIO" "$FL_DOWN_RATIO" "$FILES_TARGET_RATIO" "$FL_RSS_64M" "$FL_RSS_4G"
printf 'provisioning %s tenants: create %s s, migrate %s s (target < %s s each for 10,000)\n' \
  "$PROVISION_TENANTS" "$PV_CREATE_S" "$PV_MIGRATE_S" "$PROVISION_TARGET_S"
printf 'backup of %s products + %s MiB: %s s, restore %s s, server peak RSS %s MiB\n' \
  "$BACKUP_PRODUCTS" "$BACKUP_MIB" "$BK_BACKUP_S" "$BK_RESTORE_S" "$BK_RSS_BACKUP"
if [[ "$PASS" != PASS ]]; then
  echo "WARNING: tenantd served ${RATIO} of nginx's req/s on GET /healthz; the target is >= ${TARGET_RATIO}." >&2
fi
