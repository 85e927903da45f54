#!/usr/bin/env bash
# Issue 25's rows, on SQLite: (1) warm tokens/s with the status claim (this build) against
# without it (BEFORE_REV, the release before Token Status Lists), alternating A/B rounds in one
# run; (2) status list requests/s; (3) revocation-to-refusal latency at a resource server using
# each library (p50/p99 over many revocations; target ttl + 1 s); (4) the list's size after
# 1,000,000 tokens with 1% revoked.
#
#   bench/status_lists.sh                      # builds this release and BEFORE_REV's
#   BEFORE_REV=1301e73 ROUNDS=5 DURATION=10s LATENCY_ROUNDS=100 bench/status_lists.sh
#
# Needs wrk, python3 with the tests' virtualenv (target/client-libs) and git.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18091}
BEFORE_REV=${BEFORE_REV:-1301e73}
LATENCY_ROUNDS=${LATENCY_ROUNDS:-100}
PYTHON=${PYTHON:-target/client-libs/bin/python}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; git worktree remove --force "$WORK/before" 2>/dev/null; rm -rf "$WORK"' EXIT

if [ -z "${BEFORE_BIN:-}" ]; then
  git worktree add --quiet --detach "$WORK/before" "$BEFORE_REV"
  (cd "$WORK/before" && CARGO_TARGET_DIR="$OLDPWD/target" cargo build --release --quiet)
  cp target/release/orgauth "$WORK/orgauth-before"
  BEFORE_BIN=$WORK/orgauth-before
fi
cargo build --release --quiet
cargo build --release --quiet -p orgauth-verifier --example revocation_latency
cp target/release/orgauth "$WORK/orgauth-after"
AFTER_BIN=$WORK/orgauth-after

SECRET=$("$AFTER_BIN" secret generate)
export BASIC
BASIC=$(printf 'bench-admin:%s' "$SECRET" | base64 -w0)
B=http://127.0.0.1:$PORT

launch() { # $1 = binary, $2 = database file
  DATABASE_URL=$2 ORGAUTH_BIND=127.0.0.1:$PORT ORGAUTH_ISSUER=$B \
    ORGAUTH_KEYS_DIR=$WORK/keys-$(basename "$2") RUST_LOG=warn \
    ORGAUTH_BOOTSTRAP_CLIENT_ID=bench-admin ORGAUTH_BOOTSTRAP_CLIENT_SECRET=$SECRET \
    "$1" serve >>"$WORK/server.log" 2>&1 &
  LAUNCHED=$!
  PIDS+=("$LAUNCHED")
  for _ in $(seq 1 300); do
    curl -fs "$B/readyz" >/dev/null 2>&1 && return
    sleep 0.05
  done
  echo "the server did not become ready" >&2
  exit 1
}
stop() { kill "$1"; wait "$1" 2>/dev/null || true; }
rps() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$@" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
token() { curl -fs -u "bench-admin:$SECRET" -d grant_type=client_credentials "$@" "$B/oauth/token" \
  | sed -E 's/.*"access_token":"([^"]+)".*/\1/'; }
list_path() { # the status list path of a token
  "$PYTHON" -c 'import base64,json,sys; p=sys.argv[1].split(".")[1]; c=json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4))); print(c["status"]["status_list"]["uri"].split("/",3)[3])' "$1"
}

token_round() { # $1 = binary; prints warm tokens/s
  launch "$1" "$WORK/token-$(basename "$1").db"
  token >/dev/null
  rps -s bench/token.lua "$B/oauth/token"
  stop "$LAUNCHED"
}

: >"$WORK/before.txt"; : >"$WORK/after.txt"
for round in $(seq 1 "$ROUNDS"); do
  token_round "$BEFORE_BIN" >>"$WORK/before.txt"
  token_round "$AFTER_BIN" >>"$WORK/after.txt"
  echo "round $round: without $(tail -1 "$WORK/before.txt") with $(tail -1 "$WORK/after.txt") tokens/s" >&2
done
before=$(median <"$WORK/before.txt"); after=$(median <"$WORK/after.txt")

launch "$AFTER_BIN" "$WORK/lists.db"
path=$(list_path "$(token)")
lists=$(rps "$B/$path")
ttl=$(curl -fs "$B/$path" | cut -d. -f2 | "$PYTHON" -c 'import base64,json,sys; p=sys.stdin.read().strip(); print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["ttl"])')
rust=$(target/release/examples/revocation_latency "$B" bench-admin "$SECRET" "$LATENCY_ROUNDS")
python=$(PYTHONPATH=verifiers/python "$PYTHON" bench/status_latency.py "$B" bench-admin "$SECRET" "$LATENCY_ROUNDS")

# 1,000,000 tokens (every 100th kept), the kept 1% revoked, then the list's size.
: >"$WORK/kept.txt"
issued=0
while [ "$issued" -lt 1000000 ]; do
  n=$(CAPTURE=$WORK/kept.txt wrk -t1 -c"$CONNECTIONS" -d10s -s bench/capture.lua "$B/oauth/token" \
    | awk '/requests in/ {print $1}')
  issued=$((issued + n))
done
revoked=$("$PYTHON" - "$B" "$SECRET" "$WORK/kept.txt" <<'PY'
import sys, requests
base, secret, kept = sys.argv[1:]
s = requests.Session(); s.auth = ("bench-admin", secret)
n = 0
for line in open(kept):
    s.post(f"{base}/oauth/revoke", data={"token": line.strip()}); n += 1
print(n)
PY
)
sleep 2
sizes=$(curl -fs "$B/statuslists" | "$PYTHON" -c '
import base64, json, sys, urllib.request, zlib
total_jwt = total_lst = total_bits = 0
for uri in json.load(sys.stdin)["status_lists"]:
    jwt = urllib.request.urlopen(uri).read().decode()
    p = jwt.split(".")[1]; claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    lst = base64.urlsafe_b64decode(claims["status_list"]["lst"] + "==")
    total_jwt += len(jwt); total_lst += len(lst); total_bits += len(zlib.decompress(lst)) * 8
print(f"jwt_bytes={total_jwt} compressed_bytes={total_lst} bits={total_bits}")')
stop "$LAUNCHED"

echo
echo "warm tokens/s, median of $ROUNDS rounds of $DURATION ($THREADS threads, $CONNECTIONS connections):"
echo "  with the status claim (this build)     $after"
echo "  without it ($BEFORE_REV)                $before"
echo "  ratio                                  $(ratio "$after" "$before")"
echo "status list GET requests/s:              $lists"
echo "revocation to refusal (ttl ${ttl} s, $LATENCY_ROUNDS revocations each):"
echo "  $rust"
echo "  $python"
echo "after $issued tokens with $revoked revoked: $sizes"
