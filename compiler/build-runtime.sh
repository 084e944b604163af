#!/usr/bin/env bash
# Builds the ONNX compiler's graph runtime (compiler/src/main/c/graph_runtime.c + the sample kernels) into
# compiler/src/main/resources/io/wasminference/compiler/graph-runtime.wasm. The compiler itself needs only the JDK:
# it copies this committed binary and appends the model's plan and weights (docs/compiler.md).
#
#   compiler/build-runtime.sh           # (re)build
#   compiler/build-runtime.sh --check   # build into a temp dir; exit 1 if the committed binary differs
#
# Same toolchain and reproducibility rules as samples/build.sh (Debian 12: clang 14, no libc, names stripped).
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DEST="$HERE/src/main/resources/io/wasminference/compiler/graph-runtime.wasm"

die() { echo "compiler/build-runtime.sh: $*" >&2; exit 1; }

CHECK=0
case "${1:-}" in
  "") ;;
  --check) CHECK=1 ;;
  *) die "usage: compiler/build-runtime.sh [--check]" ;;
esac

CLANG=${CLANG:-}
if [ -z "$CLANG" ]; then
  for c in clang clang-14; do
    if command -v "$c" >/dev/null 2>&1; then CLANG=$(command -v "$c"); break; fi
  done
fi
[ -n "$CLANG" ] || die "clang not found: apt-get install clang lld"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# The plan and weights go at __heap_base (exported so the compiler finds it); memory is imported so the host
# caps it, and the compiler raises the import's minimum to what each model needs.
(cd "$ROOT" && "$CLANG" --target=wasm32-unknown-unknown -O3 -std=c11 -nostdlib -fno-builtin -ffreestanding \
    -msimd128 -Wall -Wextra -Werror -ffile-prefix-map="$ROOT"=. \
    -Isamples/abi -Isamples/kernels -Icompiler/src/main/c compiler/src/main/c/graph_runtime.c \
    -Wl,--no-entry -Wl,--import-memory -Wl,--initial-memory=131072 -Wl,--stack-first -Wl,-z,stack-size=65536 \
    -Wl,--export=__heap_base -Wl,--strip-all -o "$OUT/graph-runtime.wasm") || die "clang failed"
if command -v wasm-validate >/dev/null 2>&1; then
  wasm-validate --enable-all "$OUT/graph-runtime.wasm" || die "graph-runtime.wasm does not validate"
fi

if [ "$CHECK" = 1 ]; then
  if ! cmp -s "$OUT/graph-runtime.wasm" "$DEST"; then
    echo "compiler/build-runtime.sh --check: differs: ${DEST#$ROOT/} (run compiler/build-runtime.sh and commit)" >&2
    exit 1
  fi
  echo "compiler/build-runtime.sh --check: graph-runtime.wasm up to date"
else
  mkdir -p "$(dirname "$DEST")"
  cp "$OUT/graph-runtime.wasm" "$DEST"
  echo "compiler/build-runtime.sh: wrote ${DEST#$ROOT/} ($(wc -c < "$DEST") bytes)"
fi
