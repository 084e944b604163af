#!/usr/bin/env bash
# A real multi-process Flink cluster plus a Kafka broker on this machine, from Maven-resolved jars (flink-dist is
# not on Maven Central): one JobManager, TaskManagers and one KRaft broker, each its own JVM.
#
#   deploy/local/cluster.sh start [--dir DIR] [--taskmanagers N] [--slots S] [--wasmtime lib|job-jar] [--no-kafka]
#                                 [--application JAR [--entry-class CLASS] [--from-savepoint PATH] [-D KEY=VALUE]...
#                                  -- PROGRAM ARGS...]
#   deploy/local/cluster.sh add-taskmanager [--dir DIR]   # one more TaskManager (e.g. to replace a lost one)
#   deploy/local/cluster.sh status [--dir DIR]
#   deploy/local/cluster.sh flink [--dir DIR] ARGS...      # Flink's CLI (CliFrontend) against this cluster
#   deploy/local/cluster.sh sql-client [--dir DIR] ARGS... # Flink's SQL client (e.g. -f script.sql) on a cluster
#                                                          # started with --sql
#   deploy/local/cluster.sh stop [--dir DIR]               # stops only the processes this DIR's pid files name
#
# DIR (default deploy/local/target/cluster) holds everything: flink/{lib,conf,usrlib}, checkpoints/ and savepoints/
# (the only folders a new `start` keeps), kafka/, one folder per process with its own java.io.tmpdir, log/, pid/.
# `start` waits until the broker answers and every TaskManager has registered, then writes DIR/cluster.env
# (REST_URL, KAFKA_BOOTSTRAP, FLINK_CONF_DIR, ..., STARTUP_MS). A start that fails stops what it started.
#
# Without --application it is a session cluster (submit with `flink run` or REST). With --application it runs one
# application the way Flink's images and the Kubernetes operator do (application mode): JAR goes to flink/usrlib/,
# the JobManager (StandaloneApplicationClusterEntryPoint) runs its main() with PROGRAM ARGS, -D options are added to
# that JobManager's configuration.
#
# --wasmtime lib (default, as production should): wasmtime-java-*.jar goes into flink/lib and config.yaml adds
# classloader.parent-first-patterns.additional: io.github.kawamuray.wasmtime, so every job on a TaskManager shares
# one JNI library. The thin job jar (flink-job/target/wasm-inference-flink-job.jar) needs this. --wasmtime job-jar:
# nothing in lib/, the job jar must bundle wasmtime-java (the tool jar jobs/target/wasm-inference-jobs.jar does) and
# it is loaded once per user-code class loader.
#
# --sql PROVIDER_JAR: Flink's SQL stack in lib/ (table API, planner loader, table runtime, json format, as
# flink-dist has them), the SQL client and gateway in opt/, and PROVIDER_JAR (the wasm model provider,
# sql/target/wasm-inference-sql-provider.jar) in lib/, so CREATE MODEL ... WITH ('provider' = 'wasm') works in the
# SQL client and on the TaskManagers.
#
# Environment: JAVA_HOME, MVN (default mvn), MVN_ARGS (extra Maven options, e.g. -o),
# WI_TM_PROCESS_SIZE (default 1536m), WI_TM_WASM_OFF_HEAP (default 128m: --memory-mib 64 x 2 slots).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
MVN=${MVN:-mvn}
JARS="$HERE/target/jars"
export FLINK_PLUGINS_DIR FLINK_LIB_DIR

# What Flink's own scripts pass on Java 17 (env.java.default-opts.all of flink-dist's config.yaml).
JAVA17_OPTS=(
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

die() { echo "cluster.sh: $*" >&2; exit 1; }
log() { echo "cluster.sh: $*" >&2; }
now_ms() { date +%s%3N; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 64
}

# ---------------------------------------------------------------------------------------------------- arguments
[ $# -ge 1 ] || usage
CMD=$1
shift
DIR="$HERE/target/cluster"
TASKMANAGERS=2
SLOTS=2
WASMTIME=lib
KAFKA=1
FLINK_ARGS=()
APP_JAR=""
APP_OPTS=()
PROGRAM_ARGS=()
SQL_PROVIDER=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --taskmanagers) TASKMANAGERS=$2; shift 2 ;;
    --slots) SLOTS=$2; shift 2 ;;
    --wasmtime) WASMTIME=$2; shift 2 ;;
    --no-kafka) KAFKA=0; shift ;;
    --sql) SQL_PROVIDER=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --application) APP_JAR=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --entry-class) APP_OPTS+=(--job-classname "$2"); shift 2 ;;
    --from-savepoint) APP_OPTS+=(--fromSavepoint "$2"); shift 2 ;;
    -D) APP_OPTS+=(-D "$2"); shift 2 ;;
    --)
      shift
      PROGRAM_ARGS=("$@")
      break
      ;;
    *)
      [ "$CMD" = flink ] || [ "$CMD" = sql-client ] || die "unknown option $1"
      FLINK_ARGS=("$@")
      break
      ;;
  esac
done
case "$WASMTIME" in lib | job-jar) ;; *) die "--wasmtime must be lib or job-jar" ;; esac
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
CONF="$DIR/flink/conf"
# As Flink's own scripts do: the plugins folder, and lib/ whose sibling usrlib/ holds an application's jar.
FLINK_PLUGINS_DIR="$DIR/flink/plugins"
FLINK_LIB_DIR="$DIR/flink/lib"
PIDS="$DIR/pid"
LOGS="$DIR/log"

# ---------------------------------------------------------------------------------------------------- helpers

# Resolves the jars once into deploy/local/target/jars/{flink,kafka,wasmtime,sql,sql-client}; again when a pom
# changed.
resolve_jars() {
  local stamp="$JARS/.resolved"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$HERE/pom.xml" ] && [ "$stamp" -nt "$ROOT/pom.xml" ]; then
    return
  fi
  rm -rf "$JARS"
  local p
  for p in flink kafka wasmtime sql sql-client; do
    log "resolving the $p jars with Maven"
    # shellcheck disable=SC2086
    "$MVN" -q -B ${MVN_ARGS:-} -f "$HERE/pom.xml" -P"$p" dependency:copy-dependencies \
      -DoutputDirectory="$JARS/$p" >"$DIR/maven-$p.log" 2>&1 \
      || { cat "$DIR/maven-$p.log" >&2; die "Maven could not resolve the $p jars"; }
  done
  touch "$stamp"
}

# Sets variable $1 to a TCP port nothing listens on (checked with bash's /dev/tcp) and not picked before, outside
# Linux's ephemeral range (32768-60999).
pick_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && [[ " ${USED_PORTS:-} " != *" $p "* ]]; then
      USED_PORTS="${USED_PORTS:-} $p"
      printf -v "$1" '%s' "$p"
      return
    fi
  done
  die "no free port found"
}

alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

# Starts NAME in the background, detached from the caller's terminal, pipes and every other open file (a lock such
# as `flock LOCK cluster.sh start` holds must not live on in the cluster's processes); records its pid.
spawn() {
  local name=$1
  shift
  mkdir -p "$PIDS" "$LOGS"
  (
    # Flink's processes run in their FLINK_HOME (as in Flink's images): relative paths such as an application's
    # usrlib/ jars resolve the same on the JobManager and the TaskManagers.
    cd "$DIR/flink"
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec nohup "$@" </dev/null >"$LOGS/$name.out" 2>&1
  ) &
  echo $! >"$PIDS/$name.pid"
}

# Waits until FILE contains PATTERN, failing early if process NAME died.
wait_for_log() {
  local name=$1 file=$2 pattern=$3 timeout_s=$4
  local deadline=$(($(date +%s) + timeout_s))
  until [ -f "$file" ] && grep -q -- "$pattern" "$file"; do
    if ! alive "$name"; then
      tail -n 40 "$LOGS/$name.out" "$file" >&2 2>/dev/null || true
      die "$name exited during start-up"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "$name not ready after ${timeout_s}s (waiting for '$pattern' in $file)"
    sleep 0.2
  done
}

# The memory flags Flink's scripts compute with BashJavaUtils: line 1 JVM options, line 2 dynamic -D options.
bash_java_utils() {
  "$JAVA" -cp "$DIR/flink/lib/*" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$CONF" \
    2>&1 | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}

# ---------------------------------------------------------------------------------------------------- config files

write_flink_conf() {
  mkdir -p "$CONF" "$DIR/checkpoints" "$DIR/savepoints" "$DIR/flink/plugins"
  local parent_first=""
  if [ "$WASMTIME" = lib ]; then
    parent_first="# wasmtime-java is in lib/: load it parent-first so every job shares one JNI library per TaskManager.
classloader.parent-first-patterns.additional: io.github.kawamuray.wasmtime"
  fi
  cat >"$CONF/config.yaml" <<EOF
# Written by deploy/local/cluster.sh: a standalone session cluster for wasm-inference on this machine.
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $RPC_PORT
jobmanager.bind-host: 127.0.0.1
jobmanager.memory.process.size: 1024m
jobmanager.execution.failover-strategy: region
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $REST_PORT
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.numberOfTaskSlots: $SLOTS
# Spread subtasks over TaskManagers, so losing one loses part of the job, not all of it.
taskmanager.load-balance.mode: SLOTS
taskmanager.memory.process.size: ${WI_TM_PROCESS_SIZE:-1536m}
# Wasm linear memory is native memory outside the heap: budget --memory-mib x slots here.
taskmanager.memory.task.off-heap.size: ${WI_TM_WASM_OFF_HEAP:-128m}
# The hashmap state backend keeps state on the heap; managed memory is for RocksDB and batch jobs.
taskmanager.memory.managed.size: 0m
parallelism.default: 2
$parent_first
state.backend.type: hashmap
execution.checkpointing.dir: file://$DIR/checkpoints
execution.checkpointing.savepoint-dir: file://$DIR/savepoints
execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
restart-strategy.type: fixed-delay
restart-strategy.fixed-delay.attempts: 20
restart-strategy.fixed-delay.delay: 1 s
# Notice a lost TaskManager within seconds, not the default 50 s.
heartbeat.interval: 1000
heartbeat.timeout: 5000
# The REST API's metrics are at most this old (default 10 s).
metrics.fetcher.update-interval: 1000
# Prometheus metrics (deploy/grafana/wasm-inference.json): each process takes the first free port of the range,
# the JobManager usually 9249, the TaskManagers the next ones.
metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
metrics.reporter.prom.port: 9249-9269
# A finished or cancelled job's jar (the thin job jar is ~32 MiB, the tool jar ~209 MiB) leaves each TaskManager's
# blob cache in java.io.tmpdir after this many seconds (default 3600).
blob.service.cleanup.interval: 10
# User code must not end a JobManager or TaskManager JVM: System.exit in a job's main() (run inside the JobManager
# by POST /jars/:id/run) throws instead.
cluster.intercept-user-system-exit: THROW
EOF
  cat >"$CONF/log4j.properties" <<'EOF'
monitorInterval = 30
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
appender.main.name = MainAppender
appender.main.type = File
appender.main.append = true
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5level %-60c %x - %m%n
EOF
  cp "$CONF/log4j.properties" "$CONF/log4j-cli.properties"
}

write_kafka_conf() {
  mkdir -p "$DIR/kafka/data"
  cat >"$DIR/kafka/server.properties" <<EOF
# Written by deploy/local/cluster.sh: one combined KRaft broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/kafka/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$DIR/kafka/log4j2.properties" <<EOF
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = $LOGS/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
EOF
}

# ---------------------------------------------------------------------------------------------------- processes

start_kafka() {
  local id
  # A KRaft cluster id is 16 random bytes, URL-safe base64 without padding.
  id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
  "$JAVA" -cp "$JARS/kafka/*" -Dlog4j2.configurationFile="$DIR/kafka/log4j2.properties" \
    kafka.tools.StorageTool format -t "$id" -c "$DIR/kafka/server.properties" >"$LOGS/kafka-format.out" 2>&1 \
    || { cat "$LOGS/kafka-format.out" >&2; die "formatting Kafka's storage failed"; }
  spawn kafka "$JAVA" -Xms256m -Xmx512m -XX:+UseG1GC -Djava.io.tmpdir="$DIR/kafka/tmp" \
    -Dlog4j2.configurationFile="$DIR/kafka/log4j2.properties" -cp "$JARS/kafka/*" \
    kafka.Kafka "$DIR/kafka/server.properties"
}

start_jobmanager() {
  local params jvm dyn
  params=$(bash_java_utils GET_JM_RESOURCE_PARAMS)
  jvm=$(sed -n 1p <<<"$params")
  dyn=$(sed -n 2p <<<"$params")
  [ -n "$jvm" ] || die "BashJavaUtils GET_JM_RESOURCE_PARAMS failed"
  mkdir -p "$DIR/jobmanager/tmp"
  local entrypoint=(org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint --configDir "$CONF")
  if [ -n "$APP_JAR" ]; then
    entrypoint=(org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint --configDir "$CONF"
      ${APP_OPTS[@]+"${APP_OPTS[@]}"})
  fi
  # shellcheck disable=SC2086 # jvm and dyn are lists of options
  spawn jobmanager "$JAVA" $jvm "${JAVA17_OPTS[@]}" -Djava.io.tmpdir="$DIR/jobmanager/tmp" \
    -Dlog.file="$LOGS/jobmanager.log" -Dlog4j.configurationFile="$CONF/log4j.properties" \
    -cp "$DIR/flink/lib/*" "${entrypoint[@]}" $dyn ${PROGRAM_ARGS[@]+"${PROGRAM_ARGS[@]}"}
}

# Starts taskmanager-N (N = one more than the highest so far) and prints its name.
start_taskmanager() {
  local n=1 name
  while [ -e "$PIDS/taskmanager-$n.pid" ]; do n=$((n + 1)); done
  name=taskmanager-$n
  mkdir -p "$DIR/$name/tmp"
  # shellcheck disable=SC2086 # TM_JVM and TM_DYN are lists of options
  spawn "$name" "$JAVA" $TM_JVM "${JAVA17_OPTS[@]}" -Djava.io.tmpdir="$DIR/$name/tmp" \
    -Dlog.file="$LOGS/$name.log" -Dlog4j.configurationFile="$CONF/log4j.properties" \
    -cp "$DIR/flink/lib/*" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
    --configDir "$CONF" -D taskmanager.resource-id="$name" $TM_DYN
  echo "$name"
}

tm_params() {
  local params
  params=$(bash_java_utils GET_TM_RESOURCE_PARAMS)
  TM_JVM=$(sed -n 1p <<<"$params")
  TM_DYN=$(sed -n 2p <<<"$params")
  [ -n "$TM_JVM" ] || die "BashJavaUtils GET_TM_RESOURCE_PARAMS failed"
}

wait_taskmanager() {
  wait_for_log "$1" "$LOGS/$1.log" "Successful registration at resource manager" 120
}

stop_one() {
  local name=$1 pid i
  pid=$(cat "$PIDS/$name.pid")
  # Only a process that is still ours: its command line names this cluster's folder.
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) still running after 10 s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PIDS/$name.pid"
}

# ---------------------------------------------------------------------------------------------------- commands

cmd_start() {
  local t0 f
  if [ -d "$PIDS" ] && [ -n "$(ls -A "$PIDS" 2>/dev/null)" ]; then
    for f in "$PIDS"/*.pid; do
      alive "$(basename "$f" .pid)" && die "$DIR already runs $(basename "$f" .pid); stop it first"
    done
    rm -f "$PIDS"/*.pid
  fi
  resolve_jars
  t0=$(now_ms) # start-up time, without resolving the jars
  # A start that fails half-way stops what it started.
  trap 'log "start failed; stopping what was started (logs in $LOGS)"; cmd_stop' EXIT
  # A fresh cluster: of an earlier run in this folder only checkpoints/ and savepoints/ stay.
  rm -rf "$DIR/flink" "$DIR/kafka" "$DIR"/jobmanager "$DIR"/taskmanager-* "$LOGS" "$DIR/cluster.env"
  mkdir -p "$DIR/flink/lib" "$LOGS" "$PIDS"
  cp "$JARS"/flink/*.jar "$DIR/flink/lib/"
  if [ "$WASMTIME" = lib ]; then
    cp "$JARS"/wasmtime/wasmtime-java-*.jar "$DIR/flink/lib/"
  fi
  if [ -n "$SQL_PROVIDER" ]; then
    [ -f "$SQL_PROVIDER" ] || die "no SQL provider jar $SQL_PROVIDER (mvn package builds sql/target/wasm-inference-sql-provider.jar)"
    mkdir -p "$DIR/flink/opt"
    cp "$JARS"/sql/*.jar "$SQL_PROVIDER" "$DIR/flink/lib/"
    cp "$JARS"/sql-client/*.jar "$DIR/flink/opt/"
  fi
  if [ -n "$APP_JAR" ]; then
    [ -f "$APP_JAR" ] || die "no application jar $APP_JAR"
    mkdir -p "$DIR/flink/usrlib"
    cp "$APP_JAR" "$DIR/flink/usrlib/"
  fi
  pick_port RPC_PORT
  pick_port REST_PORT
  write_flink_conf
  if [ "$KAFKA" = 1 ]; then
    pick_port KAFKA_PORT
    pick_port KAFKA_CONTROLLER_PORT
    write_kafka_conf
    start_kafka
  fi
  start_jobmanager
  tm_params
  for _ in $(seq 1 "$TASKMANAGERS"); do start_taskmanager >/dev/null; done

  wait_for_log jobmanager "$LOGS/jobmanager.log" "Rest endpoint listening at" 120
  for f in "$PIDS"/taskmanager-*.pid; do
    [ -e "$f" ] && wait_taskmanager "$(basename "$f" .pid)"
  done
  if [ "$KAFKA" = 1 ]; then
    wait_for_log kafka "$LOGS/kafka.log" "Kafka Server started" 120
  fi
  {
    echo "REST_URL=http://127.0.0.1:$REST_PORT"
    echo "FLINK_CONF_DIR=$CONF"
    echo "FLINK_LIB_DIR=$DIR/flink/lib"
    echo "WASMTIME=$WASMTIME"
    [ -n "$SQL_PROVIDER" ] && echo "SQL_PROVIDER=$SQL_PROVIDER"
    echo "MODE=$([ -n "$APP_JAR" ] && echo application || echo session)"
    [ "$KAFKA" = 1 ] && echo "KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT"
    echo "STARTUP_MS=$(($(now_ms) - t0))"
  } >"$DIR/cluster.env"
  trap - EXIT
  log "ready in $(($(now_ms) - t0)) ms: Flink $([ -n "$APP_JAR" ] && echo application || echo session) cluster," \
    "REST http://127.0.0.1:$REST_PORT ($TASKMANAGERS TaskManagers x $SLOTS slots," \
    "wasmtime-java from $WASMTIME)$([ "$KAFKA" = 1 ] && echo ", Kafka 127.0.0.1:$KAFKA_PORT"); folder $DIR"
}

cmd_add_taskmanager() {
  local t0 name
  t0=$(now_ms)
  [ -f "$CONF/config.yaml" ] && alive jobmanager || die "no running cluster in $DIR"
  tm_params
  name=$(start_taskmanager)
  wait_taskmanager "$name"
  log "$name registered in $(($(now_ms) - t0)) ms"
  echo "$name"
}

cmd_status() {
  local f name
  [ -f "$DIR/cluster.env" ] && cat "$DIR/cluster.env"
  for f in "$PIDS"/*.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    if alive "$name"; then echo "$name running (pid $(cat "$f"))"; else echo "$name not running"; fi
  done
}

cmd_flink() {
  [ -f "$CONF/config.yaml" ] || die "no cluster configuration in $DIR"
  FLINK_CONF_DIR="$CONF" exec "$JAVA" "${JAVA17_OPTS[@]}" -Dlog.file="$LOGS/flink-cli.log" \
    -Dlog4j.configurationFile="$CONF/log4j-cli.properties" -cp "$DIR/flink/lib/*" \
    org.apache.flink.client.cli.CliFrontend "${FLINK_ARGS[@]}"
}

# As bin/sql-client.sh: lib/ plus the client and the gateway from opt/, the cluster's configuration (rest.address and
# rest.port, so statements run on this cluster).
cmd_sql_client() {
  [ -f "$CONF/config.yaml" ] || die "no cluster configuration in $DIR"
  [ -d "$DIR/flink/opt" ] || die "the cluster in $DIR was started without --sql"
  cd "$DIR/flink"
  FLINK_CONF_DIR="$CONF" exec "$JAVA" "${JAVA17_OPTS[@]}" -Dlog.file="$LOGS/sql-client.log" \
    -Dlog4j.configurationFile="$CONF/log4j-cli.properties" -cp "$DIR/flink/lib/*:$DIR/flink/opt/*" \
    org.apache.flink.table.client.SqlClient "${FLINK_ARGS[@]}"
}

cmd_stop() {
  local f name
  [ -d "$PIDS" ] || return 0
  # TaskManagers first, then the JobManager, then the broker the jobs write to.
  for f in "$PIDS"/taskmanager-*.pid; do
    [ -e "$f" ] && stop_one "$(basename "$f" .pid)" &
  done
  wait
  for name in jobmanager kafka; do
    [ -e "$PIDS/$name.pid" ] && stop_one "$name"
  done
  log "stopped what $DIR started"
}

case "$CMD" in
  start) cmd_start ;;
  add-taskmanager) cmd_add_taskmanager ;;
  status) cmd_status ;;
  flink) cmd_flink ;;
  sql-client) cmd_sql_client ;;
  stop) cmd_stop ;;
  -h | --help | help) usage ;;
  *) die "unknown command $CMD (start, add-taskmanager, status, flink, sql-client, stop)" ;;
esac
