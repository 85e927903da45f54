#!/usr/bin/env bash
# Issue 23's rows, on SQLite: (1) the warm token endpoint of this build against a previous
# release's, alternating A/B rounds in one run (people must not slow it down); (2) the admin
# API read with a person's session cookie against the same read with a Bearer token.
#
#   bench/people.sh                      # builds the current release and BEFORE_REV's
#   BEFORE_REV=d48d677 ROUNDS=5 DURATION=10s bench/people.sh
#   BEFORE_BIN=/path/to/old/orgauth bench/people.sh
#
# Needs wrk, python3 and git. Prints medians over the rounds and their ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18090}
BEFORE_REV=${BEFORE_REV:-d48d677}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; git worktree remove --force "$WORK/before" 2>/dev/null; rm -rf "$WORK"' EXIT

if [ -z "${BEFORE_BIN:-}" ]; then
  # The previous release, built in a worktree with this target directory (shared dependencies).
  git worktree add --quiet --detach "$WORK/before" "$BEFORE_REV"
  (cd "$WORK/before" && CARGO_TARGET_DIR="$OLDPWD/target" cargo build --release --quiet)
  cp target/release/orgauth "$WORK/orgauth-before"
  BEFORE_BIN=$WORK/orgauth-before
fi
cargo build --release --quiet
cp target/release/orgauth "$WORK/orgauth-after"
AFTER_BIN=$WORK/orgauth-after

SECRET=$("$AFTER_BIN" secret generate)
export BASIC
BASIC=$(printf 'bench-admin:%s' "$SECRET" | base64 -w0)

launch() { # $1 = binary, $2 = database file
  DATABASE_URL=$2 ORGAUTH_BIND=127.0.0.1:$PORT ORGAUTH_ISSUER=http://127.0.0.1:$PORT \
    ORGAUTH_KEYS_DIR=$WORK/keys-$(basename "$2") RUST_LOG=warn \
    ORGAUTH_BOOTSTRAP_CLIENT_ID=bench-admin ORGAUTH_BOOTSTRAP_CLIENT_SECRET=$SECRET \
    "$1" serve >>"$WORK/server.log" 2>&1 &
  LAUNCHED=$!
  PIDS+=("$LAUNCHED")
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return
    sleep 0.05
  done
  echo "the server did not become ready" >&2
  exit 1
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }
rps() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$@" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

token_round() { # $1 = binary; prints warm tokens/s
  launch "$1" "$WORK/token-$(basename "$1").db"
  curl -fs -o /dev/null -u "bench-admin:$SECRET" -d grant_type=client_credentials "http://127.0.0.1:$PORT/oauth/token"
  rps -s bench/token.lua "http://127.0.0.1:$PORT/oauth/token"
  stop "$LAUNCHED"
}

: >"$WORK/before.txt"; : >"$WORK/after.txt"
for round in $(seq 1 "$ROUNDS"); do
  token_round "$BEFORE_BIN" >>"$WORK/before.txt"
  token_round "$AFTER_BIN" >>"$WORK/after.txt"
  echo "round $round: before $(tail -1 "$WORK/before.txt") after $(tail -1 "$WORK/after.txt") tokens/s" >&2
done
before=$(median <"$WORK/before.txt"); after=$(median <"$WORK/after.txt")

# The admin API: one read, with a Bearer token and with a person's session cookie.
launch "$AFTER_BIN" "$WORK/admin.db"
read -r cookie _csrf org < <(python3 bench/session.py "$WORK/admin.db")
token=$(curl -fs -u "bench-admin:$SECRET" -d grant_type=client_credentials \
  -d "audience=http://127.0.0.1:$PORT" "http://127.0.0.1:$PORT/oauth/token" \
  | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
path="http://127.0.0.1:$PORT/admin/v1/organizations/$org/clients?limit=10"
curl -fs -o /dev/null -H "Authorization: Bearer $token" "$path"
curl -fs -o /dev/null -H "Cookie: __Host-orgauth-session=$cookie" "$path"
: >"$WORK/bearer.txt"; : >"$WORK/cookie.txt"
for round in $(seq 1 "$ROUNDS"); do
  rps -H "Authorization: Bearer $token" "$path" >>"$WORK/bearer.txt"
  rps -H "Cookie: __Host-orgauth-session=$cookie" "$path" >>"$WORK/cookie.txt"
done
stop "$LAUNCHED"
bearer=$(median <"$WORK/bearer.txt"); cookie_rps=$(median <"$WORK/cookie.txt")

printf '%-52s %12s %8s\n' "row (SQLite, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, median of $ROUNDS)" "req/s" "ratio"
printf '%-52s %12s %8s\n' "token, one hot client: $BEFORE_REV" "$before" "1.000"
printf '%-52s %12s %8s\n' "token, one hot client: this build" "$after" "$(ratio "$after" "$before")"
printf '%-52s %12s %8s\n' "admin GET clients, Bearer token" "$bearer" "1.000"
printf '%-52s %12s %8s\n' "admin GET clients, session cookie" "$cookie_rps" "$(ratio "$cookie_rps" "$bearer")"
echo "cookie request time / Bearer request time = $(ratio "$bearer" "$cookie_rps") (≤ 1.2 is the bar)"
