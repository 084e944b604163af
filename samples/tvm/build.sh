#!/usr/bin/env bash
# Builds the seed-style (TVM apps/wasm-standalone contract, docs/tvm-standalone.md) sample modules from Rust into
# samples/src/main/resources/samples/<name>/tvm-standalone.wasm.
#
#   samples/tvm/build.sh           # (re)build
#   samples/tvm/build.sh --check   # build into a temp dir; exit 1 naming every committed binary that differs
#
# Debian's rustc (1.63, /usr/bin/rustc) with libstd-rust-dev-wasm32, target wasm32-wasi, crate type cdylib, std
# only. Not the rustc of a rustup install (often first on PATH, usually without a wasm32-wasi std): set RUSTC to
# override. Paths are remapped and symbols stripped, so the output does not depend on the checkout's folder and is
# byte-identical on every run with the same rustc.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAMPLES=$(cd "$HERE/.." && pwd)
DEST="$SAMPLES/src/main/resources/samples"

die() { echo "tvm/build.sh: $*" >&2; exit 1; }

CHECK=0
case "${1:-}" in
  "") ;;
  --check) CHECK=1 ;;
  *) die "usage: samples/tvm/build.sh [--check]" ;;
esac

RUSTC=${RUSTC:-/usr/bin/rustc}
[ -x "$RUSTC" ] || die "$RUSTC not found: apt-get install rustc libstd-rust-dev-wasm32"
"$RUSTC" --print target-libdir --target wasm32-wasi >/dev/null 2>&1 && \
  ls "$("$RUSTC" --print target-libdir --target wasm32-wasi)"/libstd-*.rlib >/dev/null 2>&1 \
  || die "$RUSTC has no wasm32-wasi std: apt-get install libstd-rust-dev-wasm32"
echo "tvm/build.sh: using $RUSTC ($("$RUSTC" --version))"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# name of the sample -> Rust source
declare -A SOURCES=([digits-mlp]=tvm/digits_mlp.rs)
built=()
for name in "${!SOURCES[@]}"; do
  mkdir -p "$OUT/$name"
  wasm="$OUT/$name/tvm-standalone.wasm"
  (cd "$SAMPLES" && "$RUSTC" --edition 2021 --target wasm32-wasi --crate-type cdylib -C opt-level=3 \
      -C strip=symbols --remap-path-prefix "$SAMPLES"=. "${SOURCES[$name]}" -o "$wasm") \
    || die "rustc failed on ${SOURCES[$name]}"
  if command -v wasm-validate >/dev/null 2>&1; then
    wasm-validate "$wasm" || die "$name/tvm-standalone.wasm does not validate"
  fi
  built+=("$name/tvm-standalone.wasm")
done

bad=0
for f in "${built[@]}"; do
  rel="samples/src/main/resources/samples/$f"
  if [ "$CHECK" = 1 ]; then
    if [ ! -f "$DEST/$f" ]; then
      echo "tvm/build.sh --check: missing $rel" >&2; bad=1
    elif ! cmp -s "$OUT/$f" "$DEST/$f"; then
      echo "tvm/build.sh --check: differs: $rel" >&2; bad=1
    fi
  else
    cp "$OUT/$f" "$DEST/$f"
    echo "tvm/build.sh: wrote $rel ($(wc -c < "$DEST/$f") bytes)"
  fi
done
if [ "$CHECK" = 1 ]; then
  [ "$bad" = 0 ] || die "seed-style binaries are stale (or built by another rustc than $RUSTC): run samples/tvm/build.sh and commit the result"
  echo "tvm/build.sh --check: ${#built[@]} binaries up to date"
fi
