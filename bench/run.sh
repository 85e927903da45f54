#!/usr/bin/env bash
# Token-endpoint and introspection benchmarks on SQLite and Postgres, each beside the same-run
# baseline (GET /.well-known/jwks.json: precomputed bytes through the same actix stack).
#
#   bench/run.sh                          # wrk -t2 -c32 -d15s for each line
#   DURATION=5s bench/run.sh              # quicker
#   BACKENDS=sqlite bench/run.sh          # one backend
#   ORGAUTH_BIN=/path/to/orgauth bench/run.sh   # another build (e.g. the previous release)
#   BENCH_PG=postgres://postgres@127.0.0.1:5432 bench/run.sh
#
# Needs wrk, python3, a C compiler (a shim lets the flood come from 127.0.0.2), and for
# Postgres a server where the user may create databases, plus psql. Prints one table:
# requests/s, p50, p99, ratio to the baseline, RSS, and what came back.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
export THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18080}
PORT2=$((PORT + 1))
BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
BACKENDS=${BACKENDS:-sqlite postgres}
ROUND_ROBIN_CLIENTS=${ROUND_ROBIN_CLIENTS:-1000}
RESTART_CLIENTS=${RESTART_CLIENTS:-10000}
DISTINCT_TOKENS=${DISTINCT_TOKENS:-10000}
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-256}
ASSERTIONS=${ASSERTIONS:-200000}
# Python with `cryptography`, for the private_key_jwt assertions (.ci/run builds this one).
BENCH_PYTHON=${BENCH_PYTHON:-target/client-libs/bin/python}

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
"$BENCH_PYTHON" -c 'import cryptography' 2>/dev/null || {
  echo "$BENCH_PYTHON with cryptography is needed (python3 -m venv target/client-libs &&" \
    "target/client-libs/bin/pip install -r tests/clients/requirements.txt)" >&2
  exit 1
}
if [ -z "${ORGAUTH_BIN:-}" ]; then
  cargo build --release --quiet
  ORGAUTH_BIN=$PWD/target/release/orgauth
fi
BIN=$ORGAUTH_BIN
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
cc -shared -fPIC -O2 -o "$WORK/from_address.so" bench/from_address.c -ldl

CLIENT_ID=bench-admin
CLIENT_SECRET=$("$BIN" secret generate)
basic() { printf '%s:%s' "$1" "${2:-$CLIENT_SECRET}" | base64 -w0; }
export BASIC CREDS_FILE=$WORK/creds TOKENS_FILE=$WORK/tokens
BASIC=$(basic "$CLIENT_ID")

# Starts an instance on $2 (default $PORT); its pid is in $LAUNCHED.
launch() { # $1 = DATABASE_URL
  local port=${2:-$PORT}
  DATABASE_URL=$1 ORGAUTH_BIND=127.0.0.1:$port ORGAUTH_ISSUER=http://127.0.0.1:$PORT \
    ORGAUTH_KEYS_DIR=$WORK/keys RUST_LOG=warn \
    ORGAUTH_BOOTSTRAP_CLIENT_ID=$CLIENT_ID ORGAUTH_BOOTSTRAP_CLIENT_SECRET=$CLIENT_SECRET \
    "$BIN" serve >>"$WORK/server-$port.log" 2>&1 &
  LAUNCHED=$!
  PIDS+=("$LAUNCHED")
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return
    sleep 0.05
  done
  echo "the server on port $port did not become ready" >&2
  exit 1
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }
token_for() { # $1 = client, $2 = secret
  curl -fs -o /dev/null -w '%{time_total}\n' -u "$1:${2:-$CLIENT_SECRET}" \
    -d grant_type=client_credentials "http://127.0.0.1:$PORT/oauth/token"
}
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
row() { printf '%-9s %-42s %10s %9s %9s %6s %9s %s\n' "$@"; }

# wrk output → "rps p50 p99 answers" (answers: what the script counted, or non-2xx)
run_wrk() {
  local out rps p50 p99 answers
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WINDOW:-$DURATION}" --latency "$@")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  # "status 200: 12" → "200=12", joined by commas
  answers=$(grep -E '^(status|active|inactive)' <<<"$out" | sed -E 's/^status //; s/: /=/' | sort | paste -sd, - || true)
  [ -n "$answers" ] || answers="non-2xx=$(awk '/Non-2xx/ {n = $5} END {print n + 0}' <<<"$out")"
  echo "$rps $p50 $p99 ${answers:-none}"
}

hot() { run_wrk -s bench/token.lua "http://127.0.0.1:$PORT/oauth/token"; }

admin_token() {
  curl -fs -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \
    -d "audience=http://127.0.0.1:$PORT" "http://127.0.0.1:$PORT/oauth/token" \
    | sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}
field() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\1/"; }
# Creates a client through the admin API; prints "id secret".
make_client() { # $1 = name
  local token org created
  token=$(admin_token)
  org=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/admin/v1/organizations" | field id)
  created=$(curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"name\":\"$1\",\"roles\":[]}" "http://127.0.0.1:$PORT/admin/v1/organizations/$org/clients")
  echo "$(field client_id <<<"$created") $(field client_secret <<<"$created") $org"
}
# Rotates a client's secret; prints the new one.
rotate() { # $1 = org, $2 = client, $3 = grace seconds
  curl -fs -H "Authorization: Bearer $(admin_token)" -H 'Content-Type: application/json' \
    -d "{\"grace_period_seconds\":$3}" \
    "http://127.0.0.1:$PORT/admin/v1/organizations/$1/clients/$2/secret" | field client_secret
}
# One private_key_jwt client and $ASSERTIONS assertions for it, each to be used once; then wrk.
key_client_run() {
  local id org
  read -r id _ org < <(make_client key-client)
  "$BENCH_PYTHON" bench/assertions.py "$id" "http://127.0.0.1:$PORT/oauth/token" "$ASSERTIONS" \
    "$WORK/jwks.json" "$WORK/assertions"
  curl -fs -o /dev/null -X PATCH -H "Authorization: Bearer $(admin_token)" \
    -H 'Content-Type: application/json' -d "{\"jwks\":$(cat "$WORK/jwks.json")}" \
    "http://127.0.0.1:$PORT/admin/v1/organizations/$org/clients/$id"
  ASSERTIONS_FILE=$WORK/assertions run_wrk -s bench/assertion.lua "http://127.0.0.1:$PORT/oauth/token"
}
creds_file() { # $1 = first, $2 = last bench client
  : >"$CREDS_FILE"
  for i in $(seq "$1" "$2"); do basic "bench-$i" >>"$CREDS_FILE"; echo >>"$CREDS_FILE"; done
}

row backend scenario "req/s" p50 p99 ratio "RSS MiB" "answers / notes"
bench_backend() { # $1 = name, $2 = DATABASE_URL
  local name=$1 url=$2 rps p50 p99 answers
  rm -rf "$WORK/keys"
  launch "$url"; PID=$LAUNCHED
  token_for "$CLIENT_ID" >/dev/null # the first token pays for argon2
  read -r base_rps base_p50 base_p99 _ < <(run_wrk "http://127.0.0.1:$PORT/.well-known/jwks.json")
  row "$name" "baseline GET jwks.json" "$base_rps" "$base_p50" "$base_p99" "1.00" "-" ""
  read -r alone p50 p99 answers < <(hot)
  row "$name" "token, one hot client" "$alone" "$p50" "$p99" "$(ratio "$alone" "$base_rps")" "$(rss_mib)" "$answers"
  read -r rps p50 p99 answers < <(key_client_run)
  row "$name" "token, private_key_jwt (new assertion each)" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$(rss_mib)" "$answers; vs secret $(ratio "$rps" "$alone")"

  # Cold path: the first token of 20 clients, one after another (argon2 each).
  python3 bench/seed.py "$url" "$CLIENT_ID" "$ROUND_ROBIN_CLIENTS"
  local cold
  cold=$(for i in $(seq 1 20); do token_for "bench-$i"; done | sort -n \
    | awk '{t[NR] = $1 * 1000} END {printf "p50 %.1f ms, max %.1f ms", t[int((NR + 1) / 2)], t[NR]}')
  row "$name" "cold path: first token, 20 clients" "-" "-" "-" "-" "$(rss_mib)" "$cold"

  # 1,000 clients round-robin, after each has been verified once.
  creds_file 1 "$ROUND_ROBIN_CLIENTS"
  seq 21 "$ROUND_ROBIN_CLIENTS" | xargs -P 4 -I{} curl -fs -o /dev/null -u "bench-{}:$CLIENT_SECRET" \
    -d grant_type=client_credentials "http://127.0.0.1:$PORT/oauth/token"
  read -r rps p50 p99 answers < <(run_wrk -s bench/round_robin.lua "http://127.0.0.1:$PORT/oauth/token")
  row "$name" "token, $ROUND_ROBIN_CLIENTS clients round-robin" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$(rss_mib)" "$answers"

  # Another address (127.0.0.2) floods wrong secrets for another client, as fast as it can.
  local victim
  read -r victim _ _ < <(make_client flood-victim)
  FLOOD_BASIC=$(basic "$victim" "$("$BIN" secret generate)") FROM_ADDRESS=127.0.0.2 \
    LD_PRELOAD=$WORK/from_address.so wrk -t1 -c"$FLOOD_CONNECTIONS" -d"$DURATION" \
    -s bench/flood.lua "http://127.0.0.1:$PORT/oauth/token" >"$WORK/flood.out" 2>&1 &
  local flood=$!
  sleep 1
  read -r rps p50 p99 answers < <(hot)
  wait "$flood" || true
  local flood_got flood_rps
  flood_got=$(grep '^status' "$WORK/flood.out" | sed -E 's/^status //; s/: /=/' | sort | paste -sd, - || true)
  flood_rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$WORK/flood.out")
  row "$name" "token during a flood from 127.0.0.2" "$rps" "$p50" "$p99" "$(ratio "$rps" "$alone")*" \
    "$(peak_rss_mib)pk" "$answers; flood ${flood_rps}/s got ${flood_got:-nothing}"

  # Introspection by a resource server: one token, then many distinct ones.
  python3 bench/tokens.py "$PORT" "$BASIC" 1 >"$TOKENS_FILE"
  read -r rps p50 p99 answers < <(run_wrk -s bench/introspect.lua "http://127.0.0.1:$PORT/oauth/introspect")
  row "$name" "introspection, one token" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$(rss_mib)" "$answers"
  python3 bench/tokens.py "$PORT" "$BASIC" "$DISTINCT_TOKENS" >"$TOKENS_FILE"
  read -r rps p50 p99 answers < <(run_wrk -s bench/introspect.lua "http://127.0.0.1:$PORT/oauth/introspect")
  row "$name" "introspection, $DISTINCT_TOKENS tokens" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$(rss_mib)" "$answers"

  # Two instances; 32 connections hammer 4 clients while their secrets rotate (with a grace
  # period: the presented secrets stay valid, each instance must verify them again).
  launch "$url" "$PORT2"; local second=$LAUNCHED
  local ids=() orgs=() id secret org
  : >"$CREDS_FILE"
  for n in 1 2 3 4; do
    read -r id secret org < <(make_client "herd-$n")
    ids+=("$id"); orgs+=("$org")
    basic "$id" "$secret" >>"$CREDS_FILE"; echo >>"$CREDS_FILE"
  done
  local half=$((CONNECTIONS / 2))
  CONNECTIONS=$half run_wrk -s bench/round_robin.lua "http://127.0.0.1:$PORT2/oauth/token" >"$WORK/herd2.out" &
  local other=$!
  sleep 2
  (sleep 1; for n in 0 1 2 3; do rotate "${orgs[$n]}" "${ids[$n]}" 3600 >/dev/null; done) &
  read -r rps p50 p99 answers < <(CONNECTIONS=$half run_wrk -s bench/round_robin.lua "http://127.0.0.1:$PORT/oauth/token")
  wait "$other"
  local rps2 answers2
  read -r rps2 _ _ answers2 <"$WORK/herd2.out"
  row "$name" "4 clients rotated under 32 connections, 2 inst." "$(awk -v a="$rps" -v b="$rps2" 'BEGIN {printf "%.0f", a + b}')" \
    "$p50" "$p99" "-" "$(rss_mib)" "instance 1: $answers; instance 2: $answers2"

  # 96 concurrent requests carrying a secret rotated a moment ago.
  local fresh
  fresh=$(rotate "${orgs[0]}" "${ids[0]}" 0)
  local statuses
  statuses=$(seq 1 96 | xargs -P 96 -I{} curl -s -o /dev/null -w '%{http_code}\n' -u "${ids[0]}:$fresh" \
    -d grant_type=client_credentials "http://127.0.0.1:$PORT/oauth/token" | sort | uniq -c | awk '{printf "%s x %s ", $1, $2}')
  row "$name" "96 concurrent, just-rotated secret" "-" "-" "-" "-" "$(rss_mib)" "$statuses"
  stop "$second"

  # Restart with many clients: every one must be verified again. Tokens/s per second. The
  # fleet was active before the restart (each client used once, its use recorded).
  python3 bench/seed.py "$url" "$CLIENT_ID" "$RESTART_CLIENTS"
  creds_file 1 "$RESTART_CLIENTS"
  run_wrk -s bench/round_robin.lua "http://127.0.0.1:$PORT/oauth/token" >/dev/null
  sleep 2
  stop "$PID"
  launch "$url"; PID=$LAUNCHED
  local timeline="" failed=0 n
  for s in $(seq 1 10); do
    read -r rps _ _ answers < <(WINDOW=1s run_wrk -s bench/round_robin.lua "http://127.0.0.1:$PORT/oauth/token")
    timeline+="$(printf '%.0f' "$rps") "
    n=$(tr ',' '\n' <<<"$answers" | awk -F= '$1 != "200" {s += $2} END {print s + 0}')
    failed=$((failed + n))
  done
  read -r rps p50 p99 answers < <(run_wrk -s bench/round_robin.lua "http://127.0.0.1:$PORT/oauth/token")
  row "$name" "restart, $RESTART_CLIENTS clients: s1..s10" "-" "-" "-" "-" "$(rss_mib)" "${timeline}(non-200: $failed)"
  row "$name" "  then warm, $RESTART_CLIENTS clients round-robin" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$(rss_mib)" "$answers"

  for size in 100000; do
    python3 bench/seed.py "$url" "$CLIENT_ID" "$size"
    read -r rps p50 p99 answers < <(hot)
    row "$name" "token, one hot client, $size rows" "$rps" "$p50" "$p99" "$(ratio "$rps" "$base_rps")" "$(rss_mib)" "$answers"
  done
  stop "$PID"
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
echo "* the flood line's ratio is to the hot client alone in the same run"
