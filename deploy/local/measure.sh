#!/usr/bin/env bash
# Measurements behind docs/operations.md, on a cluster started by cluster.sh (needs curl and python3).
#
#   deploy/local/measure.sh memory      [--dir DIR]                 # RSS of every process; wasm metrics of running jobs
#   deploy/local/measure.sh throughput  [--dir DIR] --parallelism P # steady predictions/s of fashion-lenet5 over 80,000
#                                                                   # records, then `memory` while the job runs
#   deploy/local/measure.sh submissions [--dir DIR] --rounds N      # submit and cancel a job N times on taskmanager-1:
#                                                                   # JNI copies mapped, their RSS, JNI files in its tmp
#   deploy/local/measure.sh submit-time [--dir DIR] --rounds N      # per round: `flink run -d` until the job id, REST
#                                                                   # upload, REST run, then until every subtask runs
#
# --jar FILE: the job jar to submit (default the thin job jar flink-job/target/wasm-inference-flink-job.jar, which
# needs wasmtime-java in Flink's lib/, cluster.sh's default; with `start --wasmtime job-jar` pass the tool jar
# jobs/target/wasm-inference-jobs.jar, which bundles it). Records are written with the tool jar.
# Topics the commands create in the cluster's broker: measure-images (80,000 Fashion-MNIST records, written once),
# measure-digits (the 360 digits test records).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAR="$ROOT/flink-job/target/wasm-inference-flink-job.jar"
TOOL="$ROOT/jobs/target/wasm-inference-jobs.jar"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
M=wasm-inference.wasmInference

die() { echo "measure.sh: $*" >&2; exit 1; }

[ $# -ge 1 ] || { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 64; }
CMD=$1
shift
DIR="$HERE/target/cluster"
PARALLELISM=2
ROUNDS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --parallelism) PARALLELISM=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --jar) JAR=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -f "$DIR/cluster.env" ] || die "no running cluster in $DIR (deploy/local/cluster.sh start --dir $DIR)"
# shellcheck disable=SC1091
. "$DIR/cluster.env"
[ -n "${KAFKA_BOOTSTRAP:-}" ] || die "the cluster in $DIR has no broker"

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
rss_mib() { echo $(($(ps -o rss= -p "$1") / 1024)); }

# Submits the job detached with the given job options; prints the job id.
submit() {
  "$HERE/cluster.sh" flink --dir "$DIR" run -d "$JAR" run --bootstrap "$KAFKA_BOOTSTRAP" "$@" 2>&1 \
    | grep -o 'JobID [0-9a-f]*' | cut -d' ' -f2
}

vertex() { curl -s "$REST_URL/jobs/$1" | json "d['vertices'][0]['id']"; }

await_running() {
  until curl -s "$REST_URL/jobs/$1" | json "all(v['tasks']['RUNNING'] == v['parallelism'] for v in d['vertices'])" \
      | grep -q True; do
    sleep 0.5
  done
}

cancel() { curl -s -X PATCH "$REST_URL/jobs/$1?mode=cancel" >/dev/null; }

produce_images() {
  local f="$DIR/measure-images.jsonl" i
  [ -f "$DIR/.measure-images" ] && return
  # 20,000 distinct ids over the 2,000 bundled test images, produced four times.
  unzip -p "$TOOL" samples/fashion-lenet5/test.jsonl.gz | gunzip | python3 -c "
import json, sys
lines = [json.loads(l) for l in sys.stdin]
with open('$f', 'w') as out:
    for i in range(20000):
        d = dict(lines[i % len(lines)]); d['id'] = 'img-%d' % i
        out.write(json.dumps(d, separators=(',', ':')) + '\\n')"
  for i in 1 2 3 4; do
    "$JAVA" -jar "$TOOL" produce --bootstrap "$KAFKA_BOOTSTRAP" --topic measure-images --input "$f" --partitions 4 \
      >/dev/null 2>&1 || die "producing $f failed"
  done
  touch "$DIR/.measure-images"
}

cmd_memory() {
  local f name jobs j v
  for f in "$DIR"/pid/*.pid; do
    name=$(basename "$f" .pid)
    kill -0 "$(cat "$f")" 2>/dev/null && echo "$name RSS $(rss_mib "$(cat "$f")") MiB"
  done
  jobs=$(curl -s "$REST_URL/jobs/overview" | json "' '.join(j['jid'] for j in d['jobs'] if j['state'] == 'RUNNING')")
  for j in $jobs; do
    v=$(vertex "$j")
    curl -s "$REST_URL/jobs/$j/vertices/$v/subtasks/metrics?get=$M.wasmMemoryBytes,$M.modelLoadMillis" \
      | json "'; '.join('%s min %d max %d' % (m['id'].split('.')[-1], m['min'], m['max']) for m in d)" \
      | sed "s/^/job $j: /"
  done
}

cmd_throughput() {
  local j v s s1 now t1=""
  produce_images
  j=$(submit --model classpath:samples/fashion-lenet5/model.wasm --input-topic measure-images \
    --output-topic "measure-out-$RANDOM" --dead-letter-topic measure-dlq --group-id "measure-$RANDOM" \
    --parallelism "$PARALLELISM" --memory-mib 64 --batch-size 64 --checkpoint-ms 1000)
  [ -n "$j" ] || die "submission failed"
  await_running "$j"
  v=$(vertex "$j")
  while :; do
    s=$(curl -s "$REST_URL/jobs/$j/vertices/$v/subtasks/metrics?get=$M.predictionsOut" \
      | json "int(d[0]['sum']) if d else 0")
    now=$(date +%s%3N)
    if [ -z "$t1" ] && [ "$s" -ge 10000 ]; then t1=$now; s1=$s; fi
    if [ -n "$t1" ] && [ "$s" -ge 70000 ]; then break; fi
    sleep 0.5
  done
  echo "parallelism $PARALLELISM: $(((s - s1) * 1000 / (now - t1))) predictions/s ($s1 -> $s in $((now - t1)) ms)"
  curl -s "$REST_URL/jobs/$j/vertices/$v/subtasks/metrics?get=$M.batchSize_mean,$M.batchLatencyMicros_median" \
    | json "'; '.join('%s avg %.1f' % (m['id'].split('.')[-1], m['avg']) for m in d)"
  cmd_memory
  cancel "$j"
}

cmd_submissions() {
  local pid r j
  pid=$(cat "$DIR/pid/taskmanager-1.pid")
  "$JAVA" -jar "$TOOL" produce --bootstrap "$KAFKA_BOOTSTRAP" --topic measure-digits --input sample:digits-mlp \
    --partitions 1 >/dev/null 2>&1
  report() {
    awk '/wasmtime.jni/ {f = 1; n[$6] = 1} f && /^Rss:/ {s += $2; f = 0}
      END {printf "JNI copies mapped %d (RSS %d KiB)", length(n), s}' "/proc/$pid/smaps"
    echo ", taskmanager-1 RSS $(rss_mib "$pid") MiB, JNI files in its java.io.tmpdir:" \
      "$(find "$DIR/taskmanager-1/tmp" -name '*wasmtime*jni*' | wc -l)"
  }
  echo -n "before: "
  report
  for r in $(seq 1 "$ROUNDS"); do
    j=$(submit --model classpath:samples/digits-mlp/model.wasm --input-topic measure-digits \
      --output-topic "measure-out-$RANDOM" --dead-letter-topic measure-dlq --group-id "measure-$RANDOM" \
      --parallelism 1 --memory-mib 64)
    await_running "$j"
    sleep 2
    cancel "$j"
    sleep 2
    echo -n "after submission $r: "
    report
  done
}

cmd_submit_time() {
  local r t0 j id
  "$JAVA" -jar "$TOOL" produce --bootstrap "$KAFKA_BOOTSTRAP" --topic measure-digits --input sample:digits-mlp \
    --partitions 1 >/dev/null 2>&1
  echo "$(basename "$JAR"): $(($(stat -c %s "$JAR") / 1024)) KiB"
  job_args() {
    printf '%s\n' run --bootstrap "$KAFKA_BOOTSTRAP" --model classpath:samples/digits-mlp/model.wasm \
      --input-topic measure-digits --output-topic "measure-out-$RANDOM" --dead-letter-topic measure-dlq \
      --group-id "measure-$RANDOM" --parallelism 1 --memory-mib 64
  }
  for r in $(seq 1 "$ROUNDS"); do
    # Flink's CLI: a client JVM, the jar's main() (checks the model and Kafka), the job graph and the jar uploaded.
    t0=$(date +%s%3N)
    j=$(submit --model classpath:samples/digits-mlp/model.wasm --input-topic measure-digits \
      --output-topic "measure-out-$RANDOM" --dead-letter-topic measure-dlq --group-id "measure-$RANDOM" \
      --parallelism 1 --memory-mib 64)
    [ -n "$j" ] || die "flink run failed"
    echo -n "round $r: flink run -d $(($(date +%s%3N) - t0)) ms"
    await_running "$j"
    echo -n " (all subtasks running after $(($(date +%s%3N) - t0)) ms)"
    cancel "$j"
    # REST: the upload alone, then run (main() inside the JobManager).
    t0=$(date +%s%3N)
    id=$(curl -s -F "jarfile=@$JAR" "$REST_URL/jars/upload" | json "d['filename'].split('/')[-1]")
    [ -n "$id" ] || die "REST upload failed"
    echo -n "; REST upload $(($(date +%s%3N) - t0)) ms"
    t0=$(date +%s%3N)
    j=$(job_args | python3 -c "import json,sys; print(json.dumps({'entryClass': 'io.wasminference.jobs.Main',
        'programArgsList': sys.stdin.read().split()}))" \
      | curl -s -X POST -H 'Content-Type: application/json' -d @- "$REST_URL/jars/$id/run" | json "d['jobid']")
    echo -n ", REST run $(($(date +%s%3N) - t0)) ms"
    await_running "$j"
    echo " (all subtasks running after $(($(date +%s%3N) - t0)) ms)"
    cancel "$j"
    curl -s -X DELETE "$REST_URL/jars/$id" >/dev/null
    sleep 2
  done
}

case "$CMD" in
  memory) cmd_memory ;;
  throughput) cmd_throughput ;;
  submissions) cmd_submissions ;;
  submit-time) cmd_submit_time ;;
  *) die "unknown command $CMD (memory, throughput, submissions, submit-time)" ;;
esac
