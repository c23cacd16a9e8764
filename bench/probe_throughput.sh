#!/usr/bin/env bash
# DESIGN principle 5: the embedded backend should reach at least half of llama.cpp's throughput
# on the same model and machine. Builds aequo-probe's `embedded_bench` example in release, runs
# it on the SmolLM2 GGUF fixture (2 threads; weights as stored and re-quantised to q8_0), runs
# llama.cpp (llama-cpp-python, pinned, built from source into a venv) on the same file with the
# same prompt and the same timing, and prints the medians and the ratios.
#
#   bash bench/probe_throughput.sh [RUNS]      (default 5; llama-cpp-python compiles for minutes)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${1:-5}"
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
ours() { # weights → "prompt gen" medians in tok/s
  local w=$1 out p g
  AEQUO_THREADS=2 "$BENCH" "$MODEL" "$w" >/dev/null # warm-up
  for _ in $(seq "$RUNS"); do
    out=$(AEQUO_THREADS=2 "$BENCH" "$MODEL" "$w")
    p=$(sed -n 's/^prompt: .*(\([0-9.]*\) tok\/s)$/\1/p' <<<"$out")
    g=$(sed -n 's/^generation: .*(\([0-9.]*\) tok\/s)$/\1/p' <<<"$out")
    echo "$p $g"
  done > "/tmp/aequo-embedded-$w.txt"
  echo "$(awk '{print $1}' "/tmp/aequo-embedded-$w.txt" | median) $(awk '{print $2}' "/tmp/aequo-embedded-$w.txt" | median)"
}
read -r qp qg < <(ours q8_0)
read -r sp sg < <(ours as-stored)
line=$("$VENV/bin/python" bench/llama_cpp_throughput.py "$MODEL" "$RUNS" | tail -1)
lp=$(sed -n 's/.*prompt_tok_s=\([0-9.]*\).*/\1/p' <<<"$line")
lg=$(sed -n 's/.*gen_tok_s=\([0-9.]*\).*/\1/p' <<<"$line")
printf '%-34s %10s %10s\n' "backend (2 threads, median of $RUNS)" "prompt/s" "generate/s"
printf '%-34s %10.1f %10.1f\n' "llama.cpp (llama-cpp-python 0.3.36)" "$lp" "$lg"
printf '%-34s %10.1f %10.1f\n' "aequo embedded, q8_0 (default)" "$qp" "$qg"
printf '%-34s %10.1f %10.1f\n' "aequo embedded, as stored (Q4_1)" "$sp" "$sg"
printf 'ratio embedded/llama.cpp, q8_0:      prompt %.2f  generation %.2f\n' \
  "$(echo "$qp/$lp" | bc -l)" "$(echo "$qg/$lg" | bc -l)"
printf 'ratio embedded/llama.cpp, as stored: prompt %.2f  generation %.2f\n' \
  "$(echo "$sp/$lp" | bc -l)" "$(echo "$sg/$lg" | bc -l)"
