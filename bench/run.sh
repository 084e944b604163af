#!/usr/bin/env bash
# Runs every benchmark of issue 6 in one go and regenerates docs/benchmarks.md and docs/benchmarks/*.png:
#   kernel level   native C (bench/native/harness.c, -march=native and SSE2 builds) and, through JMH, the wasm
#                  runtime (SIMD128 and scalar builds) and ONNX Runtime; same weights, same inputs; rounds of
#                  native + JMH alternate so slow drifts of a shared machine hit every implementation alike
#   operator       records/s in a MiniCluster vs an identity pipeline (bench/.../flink/OperatorBench)
#   end to end     Kafka -> Flink -> Kafka with the broker in its own JVM: draining a backlog (records/s and CPU
#                  per record of an identity job, decode+encode, the real job; issue 15's efficiency ratio) and
#                  latency p50/p99/p99.9 under a paced load per --profile
#   memory         RSS deltas per instance and per TaskManager with N slots
#   compiler       modules compiled from ONNX vs the hand-written module and ONNX Runtime; compile time and heap
#   sql            ML_PREDICT (wasm provider) vs the DataStream operator, records/s
#
#   bench/run.sh quick    # a few minutes: fewer iterations, batch sizes and repeats
#   bench/run.sh full     # what docs/benchmarks.md holds (~45 min on 2 cores)
#   BENCH_SECTIONS="operator e2e" bench/run.sh full   # rerun some sections into the last run's results
#
# Builds the project first (mvn install -DskipTests) unless BENCH_SKIP_BUILD=1. Needs clang (apt-get install
# clang) for the native harness. Heavy steps take the lock /tmp/wi-heavy.lock, so benchmarks are not disturbed
# by other builds on the machine that use it too. Results: bench/target/bench-results/.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PROFILE=${1:-}
case "$PROFILE" in
  quick)
    ROUNDS=1; JMH=(-f 1 -wi 2 -w 300ms -i 5 -r 300ms); NATIVE_MS=300; NATIVE_REPEATS=5
    OP=(--batches 1,64,256 --parallelism 1,2 --repeats 1 --scale 0.5)
    DRAIN=(--models digits-mlp,fashion-lenet5 --rounds 1 --scale 0.3 --variants identity,job-json,job-binary,job-binary-eo)
    E2E=(--seconds 6); E2E_RUNS=("digits-mlp latency")
    MEM_SLOTS=(1 2); COMPILER_REPEATS=3; SQL_REPEATS=2; SQL_SCALE=0.5 ;;
  full)
    ROUNDS=2; JMH=(-f 1 -wi 3 -w 300ms -i 10 -r 300ms); NATIVE_MS=300; NATIVE_REPEATS=10
    OP=(--batches 1,8,32,64,128,256 --parallelism 1,2 --repeats 2 --scale 1)
    DRAIN=(--models digits-mlp,fashion-lenet5 --rounds 2 --scale 1)
    E2E=(--seconds 10); E2E_RUNS=("digits-mlp latency" "digits-mlp default" "digits-mlp throughput" "fashion-lenet5 latency")
    MEM_SLOTS=(1 2 4); COMPILER_REPEATS=10; SQL_REPEATS=4; SQL_SCALE=1 ;;
  *) echo "usage: bench/run.sh quick|full" >&2; exit 2 ;;
esac
LOCK=/tmp/wi-heavy.lock
heavy() { flock "$LOCK" "$@"; }
OUT="$HERE/target/bench-results"
cd "$ROOT"

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  echo "== building (mvn -q -B install -DskipTests)"
  heavy mvn -q -B install -DskipTests
fi
[ -f "$HERE/target/bench.classpath" ] || heavy mvn -q -B -f bench/pom.xml package -DskipTests
CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "bench/run.sh: $CC not found (apt-get install clang)" >&2; exit 1; }

# BENCH_SECTIONS="operator e2e" reruns only those sections (of: kernel operator e2e memory sql compiler) into the
# results of the last run and regenerates the report from old and new results; env.txt says which were rerun when.
SECTIONS=${BENCH_SECTIONS:-all}
want() { [ "$SECTIONS" = all ] || [[ " $SECTIONS " == *" $1 "* ]]; }
if [ "$SECTIONS" = all ]; then
  rm -rf "$OUT"
elif [ ! -f "$OUT/env.txt" ]; then
  echo "bench/run.sh: BENCH_SECTIONS needs the results of an earlier full run in $OUT" >&2; exit 1
fi
mkdir -p "$OUT"
# ONNX Runtime 1.29.0's native library crashes (SIGSEGV) when the JVM's command line is longer than a few KB, so
# the classpath goes in CLASSPATH, and JMH passes it to its forks in a manifest jar.
export CLASSPATH="$HERE/target/classes:$(cat "$HERE/target/bench.classpath")"
# The benchmark JVMs' temporary files (ONNX Runtime's extracted native library, one directory per JVM; Flink's
# extracted RPC jar, 24 MB per MiniCluster JVM) are not all deleted on exit: keep them under $OUT, removed below.
TMPD="$OUT/tmp"
mkdir -p "$TMPD"
JAVA=(java -Djava.awt.headless=true -Dbench.root="$ROOT" -Dlog4j2.level=WARN -Djava.io.tmpdir="$TMPD")

echo "== machine and versions"
if [ "$SECTIONS" != all ]; then
  echo "rerun=$SECTIONS: bench/run.sh $PROFILE with BENCH_SECTIONS, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)" >> "$OUT/env.txt"
  for f in $SECTIONS; do
    case "$f" in
      kernel) rm -f "$OUT"/native.csv "$OUT"/kernel-*.json ;;
      e2e) rm -f "$OUT/drain.csv" "$OUT/e2e.csv" ;;
      *) rm -f "$OUT/$f.csv" ;;
    esac
  done
else
{
  echo "profile=$PROFILE"
  echo "command=bench/run.sh $PROFILE"
  echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
  echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD -- samples bench 2>/dev/null || echo ' (+ local changes)')"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') , $(nproc) cores ($(grep -c ^processor /proc/cpuinfo) online), $(grep -o -w -E 'avx512f|avx2|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "os=$(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "java=$(java -version 2>&1 | head -1)"
  echo "maven=$(mvn -B -v 2>/dev/null | head -1)"
  echo "native compiler=$("$CC" --version | head -1)"
  echo "versions=Flink 2.3.0, wasmtime-java 0.19.0 (Wasmtime 7.0.1), ONNX Runtime Java 1.29.0, Kafka 4.2.0, JMH 1.37"
  echo "kernel rounds=$ROUNDS; JMH ${JMH[*]}; native harness ${NATIVE_MS} ms x ${NATIVE_REPEATS} rounds per batch"
} > "$OUT/env.txt"
fi
cat "$OUT/env.txt"

S="$ROOT/samples"
if want kernel; then
echo "== native harness builds"
"${JAVA[@]}" io.wasminference.bench.Prepare inputs "$OUT"
declare -A SB=([digits-mlp]=256 [fashion-lenet5]=784)
for m in digits-mlp fashion-lenet5; do
  for v in native-march native-sse2; do
    arch=-march=native; [ "$v" = native-sse2 ] && arch=-march=x86-64
    "$CC" -O3 "$arch" -std=c11 -DWI_NATIVE -I"$S/abi" -I"$S/kernels" -I"$S/models/$m" "$HERE/native/harness.c" \
      "$S/models/$m/model.c" "$S/kernels/wi_kernels.c" -o "$OUT/harness-$m-$v"
  done
done

# Native and wasm/ONNX Runtime runs alternate per model and batch size (a few seconds apart), and every round
# repeats them all, so a slow minute of this shared machine hits every implementation of a row alike.
for r in $(seq 1 "$ROUNDS"); do
  for m in digits-mlp fashion-lenet5; do
    for b in 1 8 32 64 128; do
      echo "== kernel round $r/$ROUNDS: $m, batch $b"
      for v in native-march native-sse2; do
        logits=(); [ "$b" = 128 ] && logits=("$OUT/$m.$v.logits")
        heavy "$OUT/harness-$m-$v" "$m,$v,$r" "$OUT/$m.inputs.bin" "${SB[$m]}" 40 "$b" "$NATIVE_MS" \
          "$NATIVE_REPEATS" "${logits[@]}" | tee -a "$OUT/native.csv"
      done
      json="$OUT/kernel-$r-$m-$b.json"
      heavy "${JAVA[@]}" -Djmh.separateClasspathJAR=true org.openjdk.jmh.Main KernelBench "${JMH[@]}" \
        -p model="$m" -p batch="$b" -rf json -rff "$json" -jvmArgsAppend "-Dbench.root=$ROOT -Djava.io.tmpdir=$TMPD" \
        | grep -E '^KernelBench\.' || true
      [ -s "$json" ] || { echo "bench/run.sh: JMH wrote no results for $m batch $b" >&2; exit 1; }
    done
  done
done

echo "== same outputs"
"${JAVA[@]}" io.wasminference.bench.Prepare check "$OUT"
fi

if want operator; then
echo "== operator level (MiniCluster)"
heavy "${JAVA[@]}" -Xmx2g io.wasminference.bench.flink.OperatorBench "${OP[@]}" --out "$OUT/operator.csv" 2>&1 \
  | grep -E '^(operator|Exception|Caused)' || true
fi

if want e2e; then
echo "== end to end: draining a backlog (Kafka -> Flink -> Kafka, broker and jobs in their own JVMs)"
heavy "${JAVA[@]}" -Xmx1g io.wasminference.bench.kafka.DrainBench "${DRAIN[@]}" --out "$OUT/drain.csv" 2>&1 \
  | grep -E '^(drain|Exception|Caused)' || true

echo "== end to end: latency under a paced load"
for run in "${E2E_RUNS[@]}"; do
  read -r model profile <<<"$run"
  p=(); [ "$profile" = default ] || p=(--profile "$profile")
  heavy "${JAVA[@]}" -Xmx2g io.wasminference.bench.kafka.EndToEndBench --models "$model" "${p[@]}" "${E2E[@]}" \
    --out "$OUT/e2e.csv" 2>&1 | grep -E '^(e2e|end-to-end|Exception|Caused)' || true
done
fi

if want memory; then
echo "== memory"
MEMJ=("${JAVA[@]}" -Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:+UseSerialGC)
heavy "${MEMJ[@]}" io.wasminference.bench.MemoryBench instances --count 16 --out "$OUT/memory.csv" 2>&1 | grep -E '^memory' || true
for n in "${MEM_SLOTS[@]}"; do
  heavy "${MEMJ[@]}" io.wasminference.bench.MemoryBench taskmanager --model fashion-lenet5 --slots "$n" \
    --out "$OUT/memory.csv" 2>&1 | grep -E '^memory' || true
done

fi

if want sql; then
echo "== SQL ML_PREDICT vs the operator"
heavy "${JAVA[@]}" -Xmx2g io.wasminference.bench.flink.SqlBench --repeats "$SQL_REPEATS" --scale "$SQL_SCALE" \
  --out "$OUT/sql.csv" 2>&1 | grep -E '^(sql|Exception|Caused)' || true

fi

if want compiler; then
echo "== ONNX compiler"
heavy "${JAVA[@]}" -Xmx1g -Dbench.compiled.out="$OUT/paddle-cls.wasm" io.wasminference.bench.compiler.CompilerBench \
  --repeats "$COMPILER_REPEATS" --out "$OUT/compiler.csv" 2>&1 | grep -E '^(time|compile|heap|size|Exception|Caused)' || true
# the compiled paddle-cls module's plan on the same kernels built natively for SSE2 (128-bit, as SIMD128)
"$CC" -O3 -march=x86-64 -ffp-contract=off -I"$S/abi" -I"$S/kernels" -I"$ROOT/compiler/src/main/c" \
  "$HERE/native/graph_harness.c" "$ROOT/compiler/src/main/c/graph_runtime.c" -lm -o "$OUT/graph_harness"
for b in 1 16; do
  us=$(heavy "$OUT/graph_harness" "$OUT/paddle-cls.wasm" "$b" 300 "$COMPILER_REPEATS")
  echo "time,paddle-cls,native-sse2,$b,$us" | tee -a "$OUT/compiler.csv"
done

fi

echo "== report"
"${JAVA[@]}" io.wasminference.bench.Report "$OUT" "$ROOT/docs"
rm -rf "$TMPD"
