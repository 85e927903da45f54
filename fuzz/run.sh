#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) from the committed seeds (fuzz/seeds/TARGET);
# what a run learns goes to target/fuzz-corpus/TARGET. A crash stops the run and fails it: its
# input is in fuzz/artifacts/TARGET/, to be turned into a regression test.
# Needs the nightly toolchain and cargo-fuzz (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for target in $(cargo +nightly fuzz list); do
  work="target/fuzz-corpus/$target"
  mkdir -p "$work"
  echo "== fuzz $target (${seconds} s)"
  log="target/fuzz-corpus/$target.log"
  if ! cargo +nightly fuzz run "$target" "$work" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz target $target failed: see fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E 'stat::number_of_executed_units|stat::new_units_added' "$log" || true
done
