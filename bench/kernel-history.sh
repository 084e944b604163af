#!/usr/bin/env bash
# Before/after of the sample kernels: the committed model.wasm of each given commit through the runtime
# (WasmCallTimer: ModelInstance.run, epoch deadline on), all builds interleaved, and the same commit's C built
# natively with SSE2 (bench/native/harness.c). Prints a markdown table for bench/notes.md.
#
#   bench/kernel-history.sh [ROUNDS] [COMMIT...]
#
# Default commits: the kernel work of issue 6, oldest first. Needs a built bench module (bench/run.sh builds it, or
# mvn -B install -DskipTests) and clang. Takes ~2 min per commit with the default 5 rounds.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ROUNDS=${1:-5}
shift || true
COMMITS=("$@")
[ ${#COMMITS[@]} -gt 0 ] || COMMITS=(1cb161e ded461e 5a8a622 b25390d 36dcec7)
CC=${CC:-clang}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$ROOT"
export CLASSPATH="$HERE/target/classes:$(cat "$HERE/target/bench.classpath")"
JAVA=(java -Dbench.root="$ROOT" -Dlog4j2.level=WARN)
"${JAVA[@]}" io.wasminference.bench.Prepare inputs "$T" >/dev/null
declare -A SB=([digits-mlp]=256 [fashion-lenet5]=784)

for c in "${COMMITS[@]}"; do
  mkdir -p "$T/$c"
  git archive "$c" samples | tar -x -C "$T/$c"
  S="$T/$c/samples"
  for m in digits-mlp fashion-lenet5; do
    "$CC" -O3 -march=x86-64 -std=c11 -DWI_NATIVE -I"$S/abi" -I"$S/kernels" -I"$S/models/$m" "$HERE/native/harness.c" \
      "$S/models/$m/model.c" "$S/kernels/wi_kernels.c" -o "$T/$c/harness-$m"
  done
done

echo "| commit | model | batch | wasm µs per batch (best / median) | native SSE2 µs (best / median) | wasm / SSE2 throughput (best) |"
echo "|---|---|---|---|---|---|"
for m in digits-mlp fashion-lenet5; do
  builds=()
  for c in "${COMMITS[@]}"; do builds+=("$c=$T/$c/samples/src/main/resources/samples/$m/model.wasm"); done
  "${JAVA[@]}" io.wasminference.bench.kernel.WasmCallTimer "$m" "$ROUNDS" 1,64,128 "${builds[@]}" > "$T/wasm-$m.csv"
  for c in "${COMMITS[@]}"; do
    # harness: LABEL,BATCH,median_ns,min_ns,max_ns,rounds
    "$T/$c/harness-$m" "$c" "$T/$m.inputs.bin" "${SB[$m]}" 40 1,64,128 200 "$ROUNDS" > "$T/native-$m-$c.csv"
  done
  for c in "${COMMITS[@]}"; do
    for b in 1 64 128; do
      w=$(awk -F, -v c="$c" -v b="$b" '$1 == c && $3 == b {print $4 " / " $5}' "$T/wasm-$m.csv")
      wb=$(awk -F, -v c="$c" -v b="$b" '$1 == c && $3 == b {print $4}' "$T/wasm-$m.csv")
      n=$(awk -F, -v b="$b" '$2 == b {printf "%.1f / %.1f", $4 / 1000, $3 / 1000}' "$T/native-$m-$c.csv")
      nb=$(awk -F, -v b="$b" '$2 == b {print $4 / 1000}' "$T/native-$m-$c.csv")
      echo "| $c | $m | $b | $w | $n | $(awk -v w="$wb" -v n="$nb" 'BEGIN {printf "%.2fx", n / w}') |"
    done
  done
done
