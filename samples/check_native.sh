#!/usr/bin/env bash
# Checks the sample models outside the Java host:
#  1. the kernels (samples/kernels/test_kernels.c) against naive reference loops, native SSE2 and scalar builds;
#  2. each model's C (model.c + kernels) built natively as a shared library, SSE2 and scalar kernels, driven
#     through its ABI control block by samples/tools/check_model.py: golden outputs within 1e-5 of PyTorch's
#     and test accuracy equal to training-report.json's framework_correct; both builds bit-identical;
#  3. if node is installed: the committed model.wasm and model-scalar.wasm under V8 (samples/tools/check_wasm.mjs),
#     bit-identical to the native build on the whole test set.
# Builds into a temp dir under /tmp. Exit 1 on any mismatch.
#
#   samples/check_native.sh
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RES="$HERE/src/main/resources/samples"
die() { echo "check_native.sh: $*" >&2; exit 1; }

CC=${CC:-}
if [ -z "$CC" ]; then
  for c in cc gcc clang; do command -v "$c" >/dev/null 2>&1 && { CC=$c; break; }; done
fi
[ -n "$CC" ] || die "no C compiler (apt-get install gcc)"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

TMP=$(mktemp -d /tmp/wi-check-native.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# -ffp-contract=off: no fused multiply-add, so every multiply and add rounds like wasm's f32 mul and add.
CFLAGS=(-O2 -std=c11 -ffp-contract=off -Wall -Wextra -Werror -I"$HERE/abi" -I"$HERE/kernels")
echo "check_native.sh: $CC ($("$CC" --version | head -n 1))"

fail=0
for impl in sse2 scalar; do
  extra=()
  [ "$impl" = scalar ] && extra=(-DWI_SCALAR)
  "$CC" "${CFLAGS[@]}" "${extra[@]}" "$HERE/kernels/test_kernels.c" "$HERE/kernels/wi_kernels.c" -lm \
    -o "$TMP/test_kernels_$impl"
  "$TMP/test_kernels_$impl" || fail=1
done

for dir in "$HERE"/models/*/; do
  name=$(basename "$dir")
  [ -f "$dir/model.c" ] || continue
  for impl in sse2 scalar; do
    extra=()
    [ "$impl" = scalar ] && extra=(-DWI_SCALAR)
    "$CC" "${CFLAGS[@]}" "${extra[@]}" -DWI_NATIVE -fPIC -shared -I"$dir" "$dir/model.c" "$HERE/kernels/wi_kernels.c" \
      -o "$TMP/$name-$impl.so"
    echo "$name, native C ($impl kernels):"
    "$PY" "$HERE/tools/check_model.py" "$TMP/$name-$impl.so" "$RES/$name" "$TMP/$name-$impl.bin" || fail=1
  done
  if ! cmp -s "$TMP/$name-sse2.bin" "$TMP/$name-scalar.bin"; then
    echo "  FAIL: $name: SSE2 and scalar builds differ"; fail=1
  else
    echo "  $name: SSE2 and scalar builds bit-identical on the test set"
  fi
  if command -v node >/dev/null 2>&1; then
    for wasm in model model-scalar; do
      [ -f "$RES/$name/$wasm.wasm" ] || { echo "  FAIL: missing $name/$wasm.wasm"; fail=1; continue; }
      node "$HERE/tools/check_wasm.mjs" "$RES/$name/$wasm.wasm" "$RES/$name" "$TMP/$name-$wasm.bin" || fail=1
      if cmp -s "$TMP/$name-$wasm.bin" "$TMP/$name-sse2.bin"; then
        echo "  $name/$wasm.wasm: bit-identical to native C on the test set"
      else
        echo "  FAIL: $name/$wasm.wasm differs from native C"; fail=1
      fi
    done
  else
    echo "  (node not found: wasm binaries not run)"
  fi
done

[ "$fail" = 0 ] || die "MISMATCH (see above)"
echo "check_native.sh: all checks passed"
