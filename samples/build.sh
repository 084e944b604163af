#!/usr/bin/env bash
# Rebuilds the sample models' WebAssembly binaries from C (docs/abi.md, ABI v1) into
# samples/src/main/resources/samples/<name>/{model.wasm,model-scalar.wasm}, then runs samples/hostile/build.sh and samples/tvm/build.sh.
#
#   samples/build.sh           # (re)build every binary
#   samples/build.sh --check   # build into a temp dir; exit 1 naming every committed binary that differs
#
# Each samples/models/<name>/ with model.c and meta.txt is compiled twice with clang for
# wasm32-unknown-unknown: model.wasm with -msimd128 (hand-written SIMD128 kernels), model-scalar.wasm without
# (portable C kernels; same results bit for bit). No libc, no debug info, names stripped, so the output does not
# depend on the checkout's folder and is byte-identical on every run with the same clang (Debian 12: clang 14).
# Then samples/tools/wi_meta.py attaches meta.txt as the 'wasm-inference.v1' custom section.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DEST="$HERE/src/main/resources/samples"
WI_META="$HERE/tools/wi_meta.py"

die() { echo "samples/build.sh: $*" >&2; exit 1; }

CHECK=0
bad=0
case "${1:-}" in
  "") ;;
  --check) CHECK=1 ;;
  *) die "usage: samples/build.sh [--check]" ;;
esac

CLANG=${CLANG:-}
if [ -z "$CLANG" ]; then
  for c in clang clang-14; do
    if command -v "$c" >/dev/null 2>&1; then CLANG=$(command -v "$c"); break; fi
  done
fi
[ -n "$CLANG" ] || die "clang not found: apt-get install clang lld"
command -v wasm-ld >/dev/null 2>&1 || command -v wasm-ld-14 >/dev/null 2>&1 \
  || die "wasm-ld not found: apt-get install clang lld"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
command -v "$PY" >/dev/null 2>&1 || die "python3 not found (needed by samples/tools/wi_meta.py)"
echo "samples/build.sh: using $CLANG ($("$CLANG" --version | head -n 1))"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# Memory: imported from the host (env.memory). The import's minimum is 2 MiB (32 pages), which holds every
# sample's weights, the 64 KiB shadow stack (first, so an overflow traps instead of overwriting data) and its
# buffers (the 'arena' after __heap_base, see abi/wi_abi.h); wi_control() grows memory if a model needs more.
CFLAGS=(--target=wasm32-unknown-unknown -O3 -std=c11 -nostdlib -fno-builtin -ffreestanding
        -Wall -Wextra -Werror -ffile-prefix-map="$HERE"=. -I"$HERE/abi" -I"$HERE/kernels")
LDFLAGS=(-Wl,--no-entry -Wl,--import-memory -Wl,--initial-memory=2097152 -Wl,--stack-first
         -Wl,-z,stack-size=65536 -Wl,--strip-all)

shopt -s nullglob
built=()
for dir in "$HERE"/models/*/; do
  name=$(basename "$dir")
  [ -f "$dir/model.c" ] && [ -f "$dir/meta.txt" ] || continue
  [ -f "$dir/weights.h" ] || die "$name: weights.h missing (run samples/train.sh)"
  mkdir -p "$OUT/$name"
  for variant in model model-scalar; do
    simd=(-msimd128)
    [ "$variant" = model-scalar ] && simd=()
    wasm="$OUT/$name/$variant.wasm"
    (cd "$HERE" && "$CLANG" "${CFLAGS[@]}" "${simd[@]}" -I"models/$name" \
        "models/$name/model.c" kernels/wi_kernels.c "${LDFLAGS[@]}" -o "$wasm") \
      || die "clang failed on $name ($variant)"
    "$PY" "$WI_META" attach "$wasm" "$dir/meta.txt" || die "wi_meta.py attach failed on $name"
    if command -v wasm-validate >/dev/null 2>&1; then
      wasm-validate --enable-all "$wasm" || die "$name/$variant.wasm does not validate"
    fi
    built+=("$name/$variant.wasm")
  done
done
[ ${#built[@]} -gt 0 ] || die "no models found under samples/models/"

if [ "$CHECK" = 1 ]; then
  for f in "${built[@]}"; do
    rel="samples/src/main/resources/samples/$f"
    if [ ! -f "$DEST/$f" ]; then
      echo "samples/build.sh --check: missing $rel" >&2; bad=1
    elif ! cmp -s "$OUT/$f" "$DEST/$f"; then
      echo "samples/build.sh --check: differs: $rel" >&2; bad=1
    fi
  done
  if [ "$bad" = 0 ]; then
    echo "samples/build.sh --check: ${#built[@]} binaries up to date"
  else
    echo "samples/build.sh: sample binaries are stale (or built by another clang than $CLANG):" \
         "run samples/build.sh and commit the result" >&2
  fi
else
  for f in "${built[@]}"; do
    mkdir -p "$(dirname "$DEST/$f")"
    cp "$OUT/$f" "$DEST/$f"
    echo "samples/build.sh: wrote samples/src/main/resources/samples/$f ($(wc -c < "$DEST/$f") bytes)"
  done
fi

status=0
if [ -f "$HERE/hostile/build.sh" ]; then
  bash "$HERE/hostile/build.sh" "$@" || status=1
fi
# The seed-style (tvm-standalone) samples, from Rust: docs/tvm-standalone.md.
if [ -f "$HERE/tvm/build.sh" ]; then
  bash "$HERE/tvm/build.sh" "$@" || status=1
fi
[ "$CHECK" = 1 ] && [ "$bad" != 0 ] && exit 1
exit "$status"
