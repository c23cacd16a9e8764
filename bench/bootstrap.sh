#!/usr/bin/env bash
# Issue 3's target: 1000 bootstrap replicates over 10^7 rows add less than 10% to the audit's
# time. Builds aequo in release, writes 10^7 synthetic rows (Parquet), then times the same
# intersectional audit (sex × race × age_band, all 7 groupings, 15 metrics) without and with
# the bootstrap, RUNS pairs (default 21).
#
#   bash bench/bootstrap.sh [ROWS]        (default 10000000)
#   AEQUO=/path/to/aequo bash bench/bootstrap.sh   (time that binary instead of building one)
#
# The two runs of a pair follow each other, and the pairs alternate which goes first: this
# host's speed drifts by 10-20% over seconds (the same audit took 57 ms and 70 ms minutes
# apart), so runs of one kind after all of the other compare two different machines. It prints
# each kind's median wall time, CPU time and peak RSS, and the overhead as the median of the
# pairs' relative differences with a distribution-free 95% interval (order statistics of the
# pairs: the binomial interval of a median).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROWS="${1:-10000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
if [ -z "${AEQUO:-}" ]; then
  cargo build --release -q -p aequo-cli --no-default-features
  AEQUO="$CARGO_TARGET_DIR/release/aequo"
fi
DATA="${TMPDIR:-/tmp}/aequo-bench-$ROWS.parquet"
[ -s "$DATA" ] || "$AEQUO" synth --rows "$ROWS" --out "$DATA" -q
args=(audit "$DATA" --label repaid --pred approved --sensitive sex,race,age_band --tests off --format json --out /dev/null -q)

RUNS="${RUNS:-21}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
one() { # replicates: one line "wall_us cpu_s rss_kb"
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -o "$out/one" -f "%U %S %M" "$AEQUO" "${args[@]}" --boot "$1" > /dev/null
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 )) $(cat "$out/one")"
}
for i in $(seq "$RUNS"); do
  if [ $((i % 2)) = 1 ]; then
    a=$(one 0); b=$(one 1000)
  else
    b=$(one 1000); a=$(one 0)
  fi
  echo "$a" >> "$out/no-bootstrap"
  echo "$b" >> "$out/bootstrap-1000"
  echo "${a%% *} ${b%% *}" >> "$out/pairs"
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "aequo audit of $ROWS rows ($(du -hL "$DATA" | cut -f1) Parquet), $(nproc) cores, $RUNS pairs"
for label in no-bootstrap bootstrap-1000; do
  wall=$(awk '{print $1 / 1e6}' "$out/$label" | median)
  cpu=$(awk '{print $2 + $3}' "$out/$label" | median)
  rss=$(awk '{print $4}' "$out/$label" | sort -n | tail -1)
  printf '%-16s median wall %7.4f s   cpu %6.3f s   peak RSS %6.1f MB\n' "$label" "$wall" "$cpu" "$(echo "$rss/1024" | bc -l)"
done
# The pairs' relative differences: their median and its 95% interval.
read -r med lo hi < <(awk '{print 100 * ($2 - $1) / $1}' "$out/pairs" | awk -f bench/median_interval.awk)
if [ -n "${hi:-}" ]; then
  printf "bootstrap adds %.1f%% to the audit's wall time (median of %d pairs; 95%% interval %.1f%% to %.1f%%)\n" "$med" "$RUNS" "$lo" "$hi"
else
  printf "bootstrap adds %.1f%% to the audit's wall time (median of %d pairs; too few pairs for a 95%% interval)\n" "$med" "$RUNS"
fi
