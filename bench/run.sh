#!/usr/bin/env bash
# Token-endpoint throughput on SQLite and Postgres, beside the same-stack baseline
# (GET /.well-known/jwks.json: precomputed bytes through the same actix stack), in one run.
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

printf '%-9s %-26s %10s %9s %9s %9s %9s %7s\n' backend scenario "req/s" p50 p99 ratio "RSS MiB" non-2xx
bench_backend() { # $1 = name, $2 = DATABASE_URL
  start_server "$2"
  read -r base_rps base_p50 base_p99 base_err < <(run_wrk "http://127.0.0.1:$PORT/.well-known/jwks.json")
  read -r rps p50 p99 err < <(run_wrk -s bench/token.lua "http://127.0.0.1:$PORT/oauth/token")
  local rss; rss=$(rss_mib)
  printf '%-9s %-26s %10s %9s %9s %9s %9s %7s\n' "$1" "baseline GET jwks.json" "$base_rps" "$base_p50" "$base_p99" "1.00" "-" "$base_err"
  printf '%-9s %-26s %10s %9s %9s %9s %9s %7s\n' "$1" "token, one hot client" "$rps" "$p50" "$p99" \
    "$(awk -v a="$rps" -v b="$base_rps" 'BEGIN {printf "%.2f", a / b}')" "$rss" "$err"
  stop_server
}

bench_backend sqlite "$WORK/bench.db"
if psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS orgauth_bench' -c 'CREATE DATABASE orgauth_bench' >/dev/null 2>&1; then
  bench_backend postgres "$BENCH_PG/orgauth_bench"
  psql "$BENCH_PG/postgres" -qc 'DROP DATABASE IF EXISTS orgauth_bench' >/dev/null 2>&1 || true
else
  echo "postgres: skipped ($BENCH_PG unreachable)"
fi
