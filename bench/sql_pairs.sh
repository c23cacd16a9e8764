#!/usr/bin/env bash
# Issue 4's "DataFusion path within 2x of the embedded scan", in paired runs: the embedded audit
# and the `--sql` audit of the same Parquet file one after the other, alternating which goes
# first (this host's speed drifts 10-20% within a minute), PAIRS pairs (default 21). Prints both
# medians and the median of the pairs' ratios DataFusion / embedded with a distribution-free 95%
# interval (the order statistics of the pairs: the binomial interval of a median).
#
#   bash bench/sql_pairs.sh FILE.parquet            (e.g. a file from bench/scale.sh)
#   AEQUO=/path/to/aequo bash bench/sql_pairs.sh FILE.parquet   (a binary built with `sql`)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FILE="${1:?give the Parquet file, e.g. one bench/scale.sh wrote}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
if [ -z "${AEQUO:-}" ]; then
  cargo build --release -q -p aequo-cli --no-default-features --features sql
  AEQUO="$CARGO_TARGET_DIR/release/aequo"
fi
PAIRS="${PAIRS:-21}"
common=(--label repaid --pred approved --sensitive sex,race,age_band --tests off --boot 0 --format json --out /dev/null -q)
raw="$(mktemp)"
trap 'rm -f "$raw"' EXIT
one() { local t0 t1; t0=$(date +%s%N); "$@" > /dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 )); }
embedded() { one "$AEQUO" audit "$FILE" "${common[@]}"; }
datafusion() { one "$AEQUO" audit "${common[@]}" --sql "SELECT * FROM t" --table "t=$FILE"; }
for i in $(seq "$PAIRS"); do
  if [ $((i % 2)) = 1 ]; then
    e=$(embedded); d=$(datafusion)
  else
    d=$(datafusion); e=$(embedded)
  fi
  echo "$e $d" >> "$raw"
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "$FILE, $(nproc) cores, $PAIRS pairs"
echo "embedded   median $(awk '{print $1 / 1e6}' "$raw" | median) s"
echo "DataFusion median $(awk '{print $2 / 1e6}' "$raw" | median) s"
read -r med lo hi < <(awk '{print $2 / $1}' "$raw" | awk -f bench/median_interval.awk)
if [ -n "${hi:-}" ]; then
  printf "DataFusion / embedded: median %.2fx (95%% interval %.2f-%.2fx)\n" "$med" "$lo" "$hi"
else
  printf "DataFusion / embedded: median %.2fx (too few pairs for a 95%% interval)\n" "$med"
fi
