#!/usr/bin/env bash
# Token-endpoint benchmarks on SQLite and Postgres, each beside the same-stack baseline
# (GET /.well-known/jwks.json: precomputed bytes through the same actix stack) in one run.
#
#   bench/run.sh                   # wrk -t2 -c32 -d15s for each line
#   DURATION=5s bench/run.sh       # quicker
#   BACKENDS=sqlite bench/run.sh   # one backend
#   BENCH_PG=postgres://postgres@127.0.0.1:5432 bench/run.sh
#
# Needs wrk and python3 (Debian packages `wrk`, `python3`), and for Postgres a server where the
# user may create databases, plus psql. Prints one table: requests/s, p50, p99, ratio to the
# baseline, RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}
BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
BACKENDS=${BACKENDS:-sqlite postgres}
ROUND_ROBIN_CLIENTS=${ROUND_ROBIN_CLIENTS:-1000}

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
BIN=$PWD/target/release/orgauth
WORK=$(mktemp -d)
trap '[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT

CLIENT_ID=bench-admin
CLIENT_SECRET=$("$BIN" secret generate)
basic() { printf '%s:%s' "$1" "$CLIENT_SECRET" | base64 -w0; }
export BASIC CREDS_FILE=$WORK/creds
BASIC=$(basic "$CLIENT_ID")

start_server() { # $1 = DATABASE_URL
  rm -rf "$WORK/keys"
  DATABASE_URL=$1 ORGAUTH_BIND=127.0.0.1:$PORT ORGAUTH_KEYS_DIR=$WORK/keys RUST_LOG=warn \
    ORGAUTH_BOOTSTRAP_CLIENT_ID=$CLIENT_ID ORGAUTH_BOOTSTRAP_CLIENT_SECRET=$CLIENT_SECRET \
    "$BIN" serve >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  token_for "$CLIENT_ID" >/dev/null # the first token pays for argon2
}

stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }
token_for() { curl -fs -o /dev/null -w '%{time_total}\n' -u "$1:$CLIENT_SECRET" -d grant_type=client_credentials "http://127.0.0.1:$PORT/oauth/token"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
row() { printf '%-9s %-34s %10s %9s %9s %6s %9s %s\n' "$@"; }

# wrk output → "rps p50 p99 non2xx"
run_wrk() {
  local out rps p50 p99 errors
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "$rps $p50 $p99 ${errors:-0}"
}

hot() { run_wrk -s bench/token.lua "http://127.0.0.1:$PORT/oauth/token"; }

# A second client whose secret the flood gets wrong, created through the admin API.
make_flood_client() {
  local token org client
  token=$(curl -fs -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \
    "http://127.0.0.1:$PORT/oauth/token" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  org=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/admin/v1/organizations" \
    | sed -E 's/.*"id":"([^"]+)".*/\1/')
  client=$(curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name":"flood-victim","roles":[]}' "http://127.0.0.1:$PORT/admin/v1/organizations/$org/clients" \
    | sed -E 's/.*"client_id":"([^"]+)".*/\1/')
  FLOOD_BASIC=$(printf '%s:%s' "$client" "$("$BIN" secret generate)" | base64 -w0)
  export FLOOD_BASIC
}

row backend scenario "req/s" p50 p99 ratio "RSS MiB" "notes"
bench_backend() { # $1 = name, $2 = DATABASE_URL
  local name=$1 url=$2
  start_server "$url"
  read -r base_rps base_p50 base_p99 _ < <(run_wrk "http://127.0.0.1:$PORT/.well-known/jwks.json")
  row "$name" "baseline GET jwks.json" "$base_rps" "$base_p50" "$base_p99" "1.00" "-" ""
  read -r rps p50 p99 err < <(hot)
  row "$name" "token, one hot client" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$(rss_mib)" "non-2xx $err"

  # Cold path: the first token of 20 clients, one after another (argon2 each).
  python3 bench/seed.py "$url" "$CLIENT_ID" "$ROUND_ROBIN_CLIENTS"
  local cold
  cold=$(for i in $(seq 1 20); do token_for "bench-$i"; done | sort -n \
    | awk '{t[NR] = $1 * 1000} END {printf "p50 %.1f ms, max %.1f ms", t[int((NR + 1) / 2)], t[NR]}')
  row "$name" "cold path: first token, 20 clients" "-" "-" "-" "-" "$(rss_mib)" "$cold"

  # 1,000 clients round-robin, after each has been verified once.
  : >"$CREDS_FILE"
  for i in $(seq 1 "$ROUND_ROBIN_CLIENTS"); do basic "bench-$i" >>"$CREDS_FILE"; echo >>"$CREDS_FILE"; done
  seq 21 "$ROUND_ROBIN_CLIENTS" | xargs -P 4 -I{} curl -fs -o /dev/null -u "bench-{}:$CLIENT_SECRET" \
    -d grant_type=client_credentials "http://127.0.0.1:$PORT/oauth/token"
  read -r rps p50 p99 err < <(run_wrk -s bench/round_robin.lua "http://127.0.0.1:$PORT/oauth/token")
  row "$name" "token, $ROUND_ROBIN_CLIENTS clients round-robin" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$(rss_mib)" "non-2xx $err"

  make_flood_client
  wrk -t1 -c16 -d"$DURATION" -s bench/flood.lua "http://127.0.0.1:$PORT/oauth/token" >"$WORK/flood.out" &
  local flood=$!
  read -r rps p50 p99 err < <(hot)
  wait "$flood"
  local answers; answers=$(grep '^status' "$WORK/flood.out" | sort | tr '\n' ' ')
  row "$name" "token during wrong-secret flood" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" \
    "$(peak_rss_mib)pk" "flood got: ${answers:-none}"

  for size in "$ROUND_ROBIN_CLIENTS" 10000 100000; do
    python3 bench/seed.py "$url" "$CLIENT_ID" "$size"
    read -r rps p50 p99 err < <(hot)
    row "$name" "token, one hot client, $size rows" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$(rss_mib)" "non-2xx $err"
  done
  stop_server
}

for backend in $BACKENDS; do
  case $backend in
    sqlite) bench_backend sqlite "$WORK/bench.db" ;;
    postgres)
      if psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS orgauth_bench' -c 'CREATE DATABASE orgauth_bench' >/dev/null 2>&1; then
        bench_backend postgres "$BENCH_PG/orgauth_bench"
        psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS orgauth_bench' >/dev/null 2>&1 || true
      else
        echo "postgres: skipped ($BENCH_PG unreachable)"
      fi
      ;;
  esac
done
