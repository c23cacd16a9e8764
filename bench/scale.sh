#!/usr/bin/env bash
# Issue 4's benchmark: an intersectional audit (sex × race × age_band = 2 × 5 × 4 cells, all 7
# groupings, 15 metrics, disparities, tests) of synthetic Parquet at several sizes, side by side in
# one run with
#   - the floor: reading the file's bytes (page cache) and decoding the same five columns with
#     arrow-rs alone (crates/aequo-data/examples/decode_floor.rs, same threads as aequo);
#   - aequo embedded, without and with 1000 bootstrap replicates;
#   - aequo through DataFusion SQL (when AEQUO_BENCH_SQL=1: builds the `sql` feature);
#   - Fairlearn 0.15 MetricFrame (the same metrics over the same 7 groupings; up to
#     FAIRLEARN_MAX_ROWS rows), without intervals and with n_boot=$FAIRLEARN_BOOT, extrapolated
#     linearly to 1000 replicates: t(1000) = t(0) + 1000 · (t(B) − t(0)) / B;
#   - a memory limit: the largest file audited under `ulimit -v $ULIMIT_MB` MB.
# Wall and CPU seconds are medians of $RUNS runs; peak RSS is the largest seen (GNU time).
#
#   bash bench/scale.sh [ROWS ...]          (default: 1000000 10000000 100000000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000000 10000000 100000000)
RUNS="${RUNS:-3}"
FAIRLEARN_MAX_ROWS="${FAIRLEARN_MAX_ROWS:-1000000}"
FAIRLEARN_BOOT="${FAIRLEARN_BOOT:-1}"
ULIMIT_MB="${ULIMIT_MB:-1024}"
DATA_DIR="${BENCH_DIR:-${TMPDIR:-/tmp}/aequo-scale}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
mkdir -p "$DATA_DIR"

features=()
[ "${AEQUO_BENCH_SQL:-0}" = 1 ] && features=(--features sql)
# The audit needs neither the probe nor the modality extras: build without the default features.
cargo build --release -q -p aequo-cli --no-default-features "${features[@]}"
cargo build --release -q -p aequo-data --example decode_floor
AEQUO="$CARGO_TARGET_DIR/release/aequo"
FLOOR="$CARGO_TARGET_DIR/release/examples/decode_floor"

VENV="$ROOT/.cache/bench-venv"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s bench/requirements.txt "$VENV/requirements.txt"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r bench/requirements.txt
  cp bench/requirements.txt "$VENV/requirements.txt"
fi

THREADS=$(nproc)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# measure LABEL ROWS CMD... : RUNS runs; wall from the clock (ns), CPU and peak RSS from GNU time.
measure() {
  local label=$1 rows=$2; shift 2
  local log="$DATA_DIR/time.$$"
  : > "$log"
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -o "$log.one" -f "%U %S %M" "$@" > /dev/null
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 )) $(cat "$log.one")" >> "$log"
  done
  local wall cpu rss
  wall=$(awk '{print $1 / 1e6}' "$log" | median)
  cpu=$(awk '{print $2+$3}' "$log" | median)
  rss=$(awk '{print $4}' "$log" | sort -n | tail -1)
  printf '| %s | %s | %.3f | %.2f | %.1f |\n' "$rows" "$label" "$wall" "$cpu" "$(echo "$rss/1024" | bc -l)"
  echo "$wall" > "$DATA_DIR/last.wall"
}
audit=(--label repaid --pred approved --sensitive sex,race,age_band --format json --out /dev/null -q)

echo "aequo $(git rev-parse --short HEAD), $THREADS cores, $(date -u +%Y-%m-%d), median of $RUNS runs"
echo
echo "| rows | what | wall s | CPU s | peak RSS MB |"
echo "|---:|---|---:|---:|---:|"
declare -A WALL
for n in "${SIZES[@]}"; do
  f="$DATA_DIR/synth-$n.parquet"
  [ -s "$f" ] || "$AEQUO" synth --rows "$n" --out "$f" -q
  cat "$f" > /dev/null   # warm the page cache: every tool below reads from memory
  measure "read the file's bytes ($(du -h "$f" | cut -f1))" "$n" cat "$f"
  # The floor gets its best allocator setting: without it glibc maps and unmaps every large
  # decode buffer, and the page faults double its time (aequo runs with the default).
  measure "floor: arrow-rs decode of the 5 columns, $THREADS threads" "$n" \
    env GLIBC_TUNABLES=glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=268435456 \
    "$FLOOR" "$f" sex,race,age_band,repaid,approved "$THREADS"
  WALL[$n,floor]=$(cat "$DATA_DIR/last.wall")
  measure "aequo, no intervals" "$n" "$AEQUO" audit "$f" "${audit[@]}" --boot 0
  WALL[$n,aequo0]=$(cat "$DATA_DIR/last.wall")
  measure "aequo, 1000 bootstrap replicates" "$n" "$AEQUO" audit "$f" "${audit[@]}" --boot 1000
  WALL[$n,aequo1000]=$(cat "$DATA_DIR/last.wall")
  if [ "${AEQUO_BENCH_SQL:-0}" = 1 ]; then
    measure "aequo via DataFusion SQL, no intervals" "$n" "$AEQUO" audit \
      --sql "SELECT * FROM t" --table "t=$f" "${audit[@]}" --boot 0
    WALL[$n,sql]=$(cat "$DATA_DIR/last.wall")
  fi
  if [ "$n" -le "$FAIRLEARN_MAX_ROWS" ]; then
    for b in 0 "$FAIRLEARN_BOOT"; do
      if ! out=$("$VENV/bin/python" bench/fairlearn_metricframe.py "$f" --n-boot "$b" 2> "$DATA_DIR/fairlearn.err"); then
        echo "| $n | Fairlearn MetricFrame, n_boot=$b: FAILED ($(tail -1 "$DATA_DIR/fairlearn.err")) | | | |"
        continue
      fi
      read -r wall cpu < <(echo "$out" | "$VENV/bin/python" -c 'import json,sys; d=json.load(sys.stdin); print(d["load_s"]+d["compute_s"], d["cpu_s"])')
      WALL[$n,fl$b]=$wall
      printf '| %s | Fairlearn MetricFrame, n_boot=%s (pandas load + compute, 1 run) | %.3f | %.2f | |\n' "$n" "$b" "$wall" "$cpu"
    done
  fi
done

echo
echo "Ratios (wall time):"
for n in "${SIZES[@]}"; do
  awk -v n="$n" -v f="${WALL[$n,floor]}" -v a0="${WALL[$n,aequo0]}" -v a1="${WALL[$n,aequo1000]}" \
    'BEGIN { printf "- %s rows: aequo / floor = %.2f without intervals, %.2f with 1000 replicates\n", n, a0/f, a1/f }'
  if [ -n "${WALL[$n,sql]:-}" ]; then
    awk -v n="$n" -v s="${WALL[$n,sql]}" -v a0="${WALL[$n,aequo0]}" \
      'BEGIN { printf "- %s rows: DataFusion SQL / embedded = %.2f\n", n, s/a0 }'
  fi
  if [ -n "${WALL[$n,fl0]:-}" ] && [ -n "${WALL[$n,fl$FAIRLEARN_BOOT]:-}" ]; then
    awk -v n="$n" -v f0="${WALL[$n,fl0]}" -v fb="${WALL[$n,fl$FAIRLEARN_BOOT]}" -v b="$FAIRLEARN_BOOT" \
        -v a0="${WALL[$n,aequo0]}" -v a1="${WALL[$n,aequo1000]}" \
      'BEGIN { f1000 = f0 + 1000 * (fb - f0) / b;
               printf "- %s rows: Fairlearn / aequo = %.0f× without intervals; Fairlearn n_boot=1000 (extrapolated: %.0f s) / aequo with 1000 replicates = %.0f×\n", n, f0/a0, f1000, f1000/a1 }'
  fi
done

big="${SIZES[${#SIZES[@]}-1]}"
f="$DATA_DIR/synth-$big.parquet"
echo
echo "Memory limit: $big rows ($(du -h "$f" | cut -f1) Parquet) under ulimit -v ${ULIMIT_MB} MB:"
if ( ulimit -v $((ULIMIT_MB * 1024)); "$AEQUO" audit "$f" "${audit[@]}" --boot 1000 ); then
  echo "- audited (exit 0)"
else
  echo "- FAILED (exit $?)"
fi
