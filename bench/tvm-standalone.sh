#!/usr/bin/env bash
# Per-sample cost of the seed's JSON contract (tvm-standalone adapter) vs ABI v1 on the same model, digits-mlp:
# JMH (bench/src/main/java/io/wasminference/bench/tvm/TvmStandaloneBench.java), one thread, time per batch through
# ModelInstance.run; prints time per batch and per sample. docs/tvm-standalone.md quotes its output.
#
#   bench/tvm-standalone.sh          # ~2 min on 2 cores
#
# Builds the project first (mvn install -DskipTests) unless BENCH_SKIP_BUILD=1; extra Maven options (a local
# repository, say) in MVN_OPTS_EXTRA. Results: bench/target/bench-results/tvm-standalone.json.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"
read -r -a EXTRA <<< "${MVN_OPTS_EXTRA:-}"
LOCK=/tmp/wi-heavy.lock
heavy() { flock "$LOCK" "$@"; }
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  heavy mvn -q -B ${EXTRA[@]+"${EXTRA[@]}"} install -DskipTests
fi
[ -f "$HERE/target/bench.classpath" ] || heavy mvn -q -B ${EXTRA[@]+"${EXTRA[@]}"} -f bench/pom.xml package -DskipTests
OUT="$HERE/target/bench-results"
mkdir -p "$OUT/tmp"
export CLASSPATH="$HERE/target/classes:$(cat "$HERE/target/bench.classpath")"
json="$OUT/tvm-standalone.json"
heavy java -Djava.io.tmpdir="$OUT/tmp" -Dlog4j2.level=WARN -Djmh.separateClasspathJAR=true org.openjdk.jmh.Main \
  TvmStandaloneBench -f 1 -wi 3 -w 500ms -i 8 -r 500ms -rf json -rff "$json" \
  -jvmArgsAppend "-Djava.io.tmpdir=$OUT/tmp -Dlog4j2.level=WARN" | grep -E '^TvmStandaloneBench\.' || true
python3 - "$json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
res = {}
for r in rows:
    p = r["params"]
    res[(p["impl"], int(p["batch"]))] = (r["primaryMetric"]["score"], r["primaryMetric"]["scoreError"])
print("digits-mlp, time per batch (µs, JMH average ± 99.9% error) and per sample")
print("| implementation | batch | µs per batch | µs per sample | vs ABI v1 SIMD128 |")
print("|---|---|---|---|---|")
for impl in ["v1-simd128", "v1-scalar", "tvm-standalone"]:
    for b in sorted({k[1] for k in res}):
        s, e = res[(impl, b)]
        base = res[("v1-simd128", b)][0]
        print(f"| {impl} | {b} | {s:.2f} ± {e:.2f} | {s / b:.2f} | {s / base:.1f}x |")
PY
