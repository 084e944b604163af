#!/usr/bin/env bash
# Builds the WebAssembly test fixtures of samples/hostile/ (see README.md there) into
# operator/src/test/resources/wasm/<name>.wasm.
#
#   samples/hostile/build.sh           # (re)build every fixture
#   samples/hostile/build.sh --check   # build into a temp dir; exit 1 naming every fixture that differs
#                                      # from (or is missing in) operator/src/test/resources/wasm/
#
# Every <name>.wat is compiled with wat2wasm (wabt's default features, plus the flags named on a first line
# ';; wat2wasm-flags: ...' for the fixtures of features the sandbox refuses), checked with wasm-validate, and gets <name>.meta.txt attached as the 'wasm-inference.v1' custom section when that
# file exists. Three fixtures are not WAT and are made here: truncated.wasm (first half of identity.wasm),
# bad_custom_name.wasm (identity.wasm after a custom section whose name runs past the section's end) and
# random_bytes.wasm (4096 bytes of SHA-256 in counter mode). The output is byte-identical on every run.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DEST="$ROOT/operator/src/test/resources/wasm"
WI_META="$ROOT/samples/tools/wi_meta.py"

die() { echo "hostile/build.sh: $*" >&2; exit 1; }

CHECK=0
case "${1:-}" in
  "") ;;
  --check) CHECK=1 ;;
  *) die "usage: samples/hostile/build.sh [--check]" ;;
esac

for tool in wat2wasm wasm-validate; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: install wabt (apt-get install wabt)"
done
command -v python3 >/dev/null 2>&1 || die "python3 not found (needed by samples/tools/wi_meta.py)"
[ -f "$WI_META" ] || die "missing $WI_META"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# 1. WAT fixtures. All of them are valid WebAssembly: the broken ones break the ABI, not the wasm spec.
shopt -s nullglob
wats=("$HERE"/*.wat)
[ ${#wats[@]} -gt 0 ] || die "no .wat files in $HERE"
names=()
for wat in "${wats[@]}"; do
  name=$(basename "$wat" .wat)
  wasm="$OUT/$name.wasm"
  # A fixture that needs a proposal wabt does not enable by default says so on its first line, e.g.
  # ';; wat2wasm-flags: --enable-tail-call' (the feature fixtures check the engine refuses them).
  read -r -a flags <<< "$(sed -n '1s/^;; wat2wasm-flags: //p' "$wat")"
  wat2wasm ${flags[@]+"${flags[@]}"} "$wat" -o "$wasm" || die "wat2wasm failed on $name.wat"
  if [ -f "$HERE/$name.meta.txt" ]; then
    python3 "$WI_META" attach "$wasm" "$HERE/$name.meta.txt" || die "wi_meta.py attach failed on $name"
  fi
  wasm-validate ${flags[@]+"${flags[@]}"} "$wasm" || die "$name.wasm does not validate"
  names+=("$name")
done

# 2. Non-WAT fixtures.
[ -f "$OUT/identity.wasm" ] || die "identity.wat is needed to make truncated.wasm"
size=$(wc -c < "$OUT/identity.wasm")
head -c $((size / 2)) "$OUT/identity.wasm" > "$OUT/truncated.wasm"
names+=(truncated)

# bad_custom_name: identity.wasm with a custom section first whose 1-byte payload is a name length of 5, so
# the name runs past the end of its section (into the next one) but not past the end of the file.
python3 - "$OUT/identity.wasm" "$OUT/bad_custom_name.wasm" <<'EOF'
import sys
wasm = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(wasm[:8] + bytes([0x00, 0x01, 0x05]) + wasm[8:])
EOF
names+=(bad_custom_name)

python3 - "$OUT/random_bytes.wasm" <<'EOF'
import hashlib, sys
data = b"".join(hashlib.sha256(b"wasm-inference random_bytes %d" % i).digest() for i in range(128))
assert len(data) == 4096 and data[:4] != b"\0asm"
open(sys.argv[1], "wb").write(data)
EOF
names+=(random_bytes)

# 3. Install, or compare.
if [ "$CHECK" = 1 ]; then
  bad=0
  for name in "${names[@]}"; do
    if [ ! -f "$DEST/$name.wasm" ]; then
      echo "hostile/build.sh --check: missing operator/src/test/resources/wasm/$name.wasm" >&2; bad=1
    elif ! cmp -s "$OUT/$name.wasm" "$DEST/$name.wasm"; then
      echo "hostile/build.sh --check: differs: operator/src/test/resources/wasm/$name.wasm" >&2; bad=1
    fi
  done
  [ "$bad" = 0 ] || die "fixtures are stale: run samples/hostile/build.sh and commit the result"
  echo "hostile/build.sh --check: ${#names[@]} fixtures up to date"
else
  mkdir -p "$DEST"
  for name in "${names[@]}"; do
    cp "$OUT/$name.wasm" "$DEST/$name.wasm"
  done
  echo "hostile/build.sh: wrote ${#names[@]} fixtures to operator/src/test/resources/wasm/"
fi
