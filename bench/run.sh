#!/usr/bin/env bash
# Token-endpoint throughput on SQLite and Postgres, beside the same-stack baseline
# (GET /.well-known/jwks.json: precomputed bytes through the same actix stack), in one run;
# then the same valid traffic while a second wrk floods wrong secrets for another client.
#
#   bench/run.sh                 # wrk -t2 -c32 -d15s for each line
#   DURATION=5s bench/run.sh     # quicker
#   BENCH_PG=postgres://postgres@127.0.0.1:5432 bench/run.sh
#
# Needs wrk (Debian package `wrk`) and, for the Postgres line, a server where the user may
# create databases. Prints one table: requests/s, p50, p99, ratio to the baseline, RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}
BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
BIN=$PWD/target/release/orgauth
WORK=$(mktemp -d)
trap '[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT

CLIENT_ID=bench-client
CLIENT_SECRET=$("$BIN" secret generate)
export BASIC
BASIC=$(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)

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
  # The first token pays for argon2; the run measures the steady state.
  curl -fs -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \
    "http://127.0.0.1:$PORT/oauth/token" >/dev/null
}

stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }

# wrk output → "rps p50 p99 errors"
run_wrk() { # $@ = extra wrk args
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "$rps $p50 $p99 ${errors:-0}"
}

peak_rss_mib() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }

# A second client whose secret the flood gets wrong, created through the admin API.
make_flood_client() {
  local token client
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

row() { printf '%-9s %-30s %10s %9s %9s %7s %9s %s\n' "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

row backend scenario "req/s" p50 p99 ratio "RSS MiB" "non-2xx / flood answers"
bench_backend() { # $1 = name, $2 = DATABASE_URL
  start_server "$2"
  read -r base_rps base_p50 base_p99 base_err < <(run_wrk "http://127.0.0.1:$PORT/.well-known/jwks.json")
  read -r rps p50 p99 err < <(run_wrk -s bench/token.lua "http://127.0.0.1:$PORT/oauth/token")
  local rss; rss=$(rss_mib)
  row "$1" "baseline GET jwks.json" "$base_rps" "$base_p50" "$base_p99" "1.00" "-" "$base_err"
  row "$1" "token, one hot client" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$rss" "$err"

  make_flood_client
  wrk -t1 -c16 -d"$DURATION" -s bench/flood.lua "http://127.0.0.1:$PORT/oauth/token" >"$WORK/flood.out" &
  local flood=$!
  read -r frps fp50 fp99 ferr < <(run_wrk -s bench/token.lua "http://127.0.0.1:$PORT/oauth/token")
  wait "$flood"
  local answers; answers=$(grep '^status' "$WORK/flood.out" | sort | tr '\n' ' ')
  row "$1" "token during wrong-secret flood" "$frps" "$fp50" "$fp99" "$(ratio "$frps" "$base_rps")" \
    "$(peak_rss_mib) peak" "$ferr / ${answers:-none}"
  stop_server
}

bench_backend sqlite "$WORK/bench.db"
if psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS orgauth_bench' -c 'CREATE DATABASE orgauth_bench' >/dev/null 2>&1; then
  bench_backend postgres "$BENCH_PG/orgauth_bench"
  psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS orgauth_bench' >/dev/null 2>&1 || true
else
  echo "postgres: skipped ($BENCH_PG unreachable)"
fi
