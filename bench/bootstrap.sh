#!/usr/bin/env bash
# Issue 3's target: 1000 bootstrap replicates over 10^7 rows add less than 10% to the audit's
# time. Builds aequo in release, writes 10^7 synthetic rows (Parquet), then times the same
# intersectional audit (sex × race × age_band, all 7 groupings, 15 metrics) with and without
# the bootstrap, RUNS runs each (default 11), and prints the medians and the ratio.
#
#   bash bench/bootstrap.sh [ROWS]        (default 10000000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROWS="${1:-10000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p aequo-cli --no-default-features
AEQUO="$CARGO_TARGET_DIR/release/aequo"
DATA="${TMPDIR:-/tmp}/aequo-bench-$ROWS.parquet"
[ -s "$DATA" ] || "$AEQUO" synth --rows "$ROWS" --out "$DATA" -q
args=(audit "$DATA" --label repaid --pred approved --sensitive sex,race,age_band --tests off --format json --out /dev/null -q)

RUNS="${RUNS:-11}"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # label, extra args... : wall from the clock (ms), CPU and peak RSS from GNU time
  local label=$1; shift
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -o "/tmp/aequo-bench-$label.one" -f "%U %S %M" "$AEQUO" "${args[@]}" "$@" > /dev/null
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 )) $(cat "/tmp/aequo-bench-$label.one")"
  done > "/tmp/aequo-bench-$label.txt"
  local wall cpu rss
  wall=$(awk '{print $1 / 1e6}' "/tmp/aequo-bench-$label.txt" | median)
  cpu=$(awk '{print $2+$3}' "/tmp/aequo-bench-$label.txt" | median)
  rss=$(awk '{print $4}' "/tmp/aequo-bench-$label.txt" | sort -n | tail -1)
  printf '%-28s wall %7.4f s   cpu %6.3f s   peak RSS %6.1f MB\n' "$label" "$wall" "$cpu" "$(echo "$rss/1024" | bc -l)"
  echo "$wall" > "/tmp/aequo-bench-$label.wall"
}
echo "aequo audit of $ROWS rows ($(du -hL "$DATA" | cut -f1) Parquet), $(nproc) cores, median of $RUNS runs"
run no-bootstrap --boot 0
run bootstrap-1000 --boot 1000
awk -v a="$(cat /tmp/aequo-bench-no-bootstrap.wall)" -v b="$(cat /tmp/aequo-bench-bootstrap-1000.wall)" \
  'BEGIN { printf "bootstrap adds %.1f%% to the audit'"'"'s wall time\n", 100 * (b - a) / a }'
