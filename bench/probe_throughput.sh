#!/usr/bin/env bash
# DESIGN principle 5: the embedded backend should reach at least half of llama.cpp's throughput
# on the same model and machine. Builds aequo-probe's `embedded_bench` example in release, runs
# it on the SmolLM2 GGUF fixture (2 threads; weights as stored and re-quantised to q8_0), runs
# llama.cpp (llama-cpp-python, pinned, built from source into a venv) on the same file with the
# same prompt and the same timing, and prints the medians and the ratios.
#
#   bash bench/probe_throughput.sh [RUNS] [THREADS]   (defaults 5 and 2; the first run compiles
#                                                      llama-cpp-python for minutes)
#
# On a machine busy with other work, 2 threads of either backend lose much of their time waiting
# for each other (both spin at every barrier), so compare at 1 thread too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${1:-5}"
THREADS="${2:-2}"
# aequo's inference pool, and candle's own spin-barrier pool for quantized matmuls, which
# otherwise has one thread per physical core whatever AEQUO_THREADS says (candle-core 0.11).
export AEQUO_THREADS="$THREADS" CANDLE_NUM_THREADS="$THREADS"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
MODEL="${AEQUO_FIXTURES:-$PWD/.cache/fixtures}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
[ -s "$MODEL" ] || { echo "missing $MODEL: run scripts/fixtures.sh models" >&2; exit 1; }
VENV="${LLAMA_VENV:-${TMPDIR:-/tmp}/aequo-llama-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q llama-cpp-python==0.3.36
fi
cargo build --release -q -p aequo-probe --example embedded_bench
BENCH="$CARGO_TARGET_DIR/release/examples/embedded_bench"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { sort -n | tail -1; }
ours() { # weights → "prompt/s generated/s generated-per-CPU-s" of one run
  local out
  out=$("$BENCH" "$MODEL" "$1")
  echo "$(sed -n 's/^prompt: .*(\([0-9.]*\) tok\/s)$/\1/p' <<<"$out")" \
    "$(sed -n 's/^generation: .*(\([0-9.]*\) tok\/s)$/\1/p' <<<"$out")" \
    "$(sed -n 's/^cpu: .*(\([0-9.]*\) generated tokens per CPU-second)$/\1/p' <<<"$out")"
}
theirs() {
  "$VENV/bin/python" bench/llama_cpp_throughput.py "$MODEL" 1 | tail -1 |
    sed -n 's/.*prompt_tok_s=\([0-9.]*\) gen_tok_s=\([0-9.]*\) gen_tok_per_cpu_s=\([0-9.]*\).*/\1 \2 \3/p'
}
# Interleaved, so that each backend sees the same load from whatever else runs on the machine.
ours q8_0 >/dev/null # warm-up (page cache)
: > /tmp/aequo-tp-q8_0.txt; : > /tmp/aequo-tp-as-stored.txt; : > /tmp/aequo-tp-llama.txt
for _ in $(seq "$RUNS"); do
  ours q8_0 >> /tmp/aequo-tp-q8_0.txt
  ours as-stored >> /tmp/aequo-tp-as-stored.txt
  theirs >> /tmp/aequo-tp-llama.txt
done
stat() { # file column how
  awk -v k="$2" '{print $k}' "$1" | "$3"
}
printf '%-36s %-7s %10s %12s %16s\n' "backend ($THREADS threads, $RUNS runs)" "" "prompt/s" "generated/s" "generated/CPU-s"
for how in median best; do
  for b in llama q8_0 as-stored; do
    f=/tmp/aequo-tp-$b.txt
    case $b in
      llama) name="llama.cpp (llama-cpp-python 0.3.36)" ;;
      q8_0) name="aequo embedded, q8_0 (default)" ;;
      *) name="aequo embedded, as stored (Q4_1)" ;;
    esac
    printf '%-36s %-7s %10.1f %12.1f %16.1f\n' "$name" "$how" \
      "$(stat "$f" 1 $how)" "$(stat "$f" 2 $how)" "$(stat "$f" 3 $how)"
  done
done
for how in median best; do
  for w in q8_0 as-stored; do
    printf 'ratio embedded/llama.cpp, %-10s %-6s prompt %.2f  generation %.2f  per CPU-second %.2f\n' "$w" "$how" \
      "$(echo "$(stat /tmp/aequo-tp-$w.txt 1 $how)/$(stat /tmp/aequo-tp-llama.txt 1 $how)" | bc -l)" \
      "$(echo "$(stat /tmp/aequo-tp-$w.txt 2 $how)/$(stat /tmp/aequo-tp-llama.txt 2 $how)" | bc -l)" \
      "$(echo "$(stat /tmp/aequo-tp-$w.txt 3 $how)/$(stat /tmp/aequo-tp-llama.txt 3 $how)" | bc -l)"
  done
done
