#!/usr/bin/env bash
# Replicated writes: our 3-node cluster (replication factor 3, SET at QUORUM) against redis-server
# with one replica (SET then WAIT 1 0) and against plain SET to the Redis primary, all driven by
# our load generator (benchmarks module) in one run on this machine.
#
#   bench/cluster-vs-redis.sh                      # 10s per run after 2s of warm-up, 1 round
#   bench/cluster-vs-redis.sh --rounds 3           # medians over 3 rounds
#   bench/cluster-vs-redis.sh --only redis --duration 2s --warmup 1s   # Redis parts only
#
# See bench/README.md for what the numbers mean.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'EOF'
Usage: bench/cluster-vs-redis.sh [options]

Measures, in one run, with the load generator of the benchmarks module (SET of VALUE_SIZE-byte
values to random keys key:<n>, n < KEYSPACE, closed loop, one command in flight per connection):

  (a)  ours         `bin/distributedcache local-cluster --nodes 3 --base-port P`, SET with
                    CONSISTENCY QUORUM, CONNECTIONS connections spread over the 3 nodes
  (b)  redis+WAIT   redis-server primary with one replica (--replicaof), SET then WAIT 1 0,
                    CONNECTIONS connections to the primary
  (c)  redis        plain SET to the same primary, CONNECTIONS connections
  (a1) ours, 1 connection       (to the first node)      for p50 latency
  (b1) redis+WAIT, 1 connection                          for p50 latency

in that order in every round, and prints a Markdown table (ops/s, p50, p99, p99.9, errors) with
the ratios ours/(b) and ours/(c); saves it in bench/results/cluster-vs-redis-<date>.md.

Options:
  --duration D        measured time per run (load generator syntax: 10s, 500ms, 2m; default 10s)
  --warmup D          unrecorded time before each run's measured window (default 2s)
  --rounds R          rounds; the table shows the median per run (default 1)
  --connections C     connections of the multi-connection runs (default 50)
  --keyspace K        key range (default 100000)
  --value-size B      value size in bytes (default 100)
  --seed S            load generator seed, the same for every run (default 1)
  --nodes N           nodes of our cluster (default 3)
  --cluster-args "…"  extra arguments for `bin/distributedcache local-cluster`
  --only ours|redis   run one side only (no ratios); `--only redis` works without our cluster
  --no-markdown       do not write bench/results/cluster-vs-redis-<date>.md
  -h, --help          this help

Environment:
  JAVA_OPTS           passed to our cluster's JVM by bin/distributedcache
  LOADGEN_JAVA_OPTS   JVM options of the load generator (default: -XX:+UseParallelGC -Xms512m -Xmx512m)
  LOADGEN_JAR         use this load generator jar instead of building benchmarks/
  BENCH_BUILD_DIR     Maven build directory name for the load generator (default target)
EOF
}

CMDLINE=$(quote_cmdline "$0" "$@")
DURATION=10s
WARMUP=2s
ROUNDS=1
CONNECTIONS=50
KEYSPACE=100000
VALUE_SIZE=100
SEED=1
NODES=3
CLUSTER_ARGS=""
ONLY=""
MARKDOWN=1

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
    --warmup) WARMUP=${2:?--warmup needs a value}; shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
    --connections) CONNECTIONS=${2:?--connections needs a value}; shift 2 ;;
    --keyspace) KEYSPACE=${2:?--keyspace needs a value}; shift 2 ;;
    --value-size) VALUE_SIZE=${2:?--value-size needs a value}; shift 2 ;;
    --seed) SEED=${2:?--seed needs a value}; shift 2 ;;
    --nodes) NODES=${2:?--nodes needs a value}; shift 2 ;;
    --cluster-args) CLUSTER_ARGS=${2?--cluster-args needs a value}; shift 2 ;;
    --only) ONLY=${2:?--only needs a value}; shift 2 ;;
    --no-markdown) MARKDOWN=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

for v in "$ROUNDS" "$CONNECTIONS" "$KEYSPACE" "$NODES"; do is_uint "$v" || die "not a positive integer: $v"; done
[[ $VALUE_SIZE =~ ^[0-9]+$ ]] || die "--value-size must be a non-negative integer"
[[ $SEED =~ ^-?[0-9]+$ ]] || die "--seed must be an integer"
DURATION_S=$(duration_seconds "$DURATION") || die "bad --duration: $DURATION (e.g. 10s, 500ms, 2m)"
WARMUP_S=$(duration_seconds "$WARMUP") || die "bad --warmup: $WARMUP (e.g. 2s, 0)"
[ "$DURATION_S" -gt 0 ] || die "--duration must be positive"
case "$ONLY" in "" | ours | redis) ;; *) die "--only takes ours or redis" ;; esac
RUN_OURS=1
RUN_REDIS=1
[ "$ONLY" = redis ] && RUN_OURS=0
[ "$ONLY" = ours ] && RUN_REDIS=0
read -r -a cluster_args_arr <<<"$CLUSTER_ARGS"
LOADGEN_JAVA_OPTS=${LOADGEN_JAVA_OPTS:--XX:+UseParallelGC -Xms512m -Xmx512m}
read -r -a loadgen_jvm_arr <<<"$LOADGEN_JAVA_OPTS"

bench_init
[ "$RUN_REDIS" = 1 ] && ensure_redis_tools
command -v redis-cli >/dev/null 2>&1 || ensure_redis_tools
build_loadgen
log "load generator: $LOADGEN_JAR"
[ "$RUN_OURS" = 1 ] && build_ours

# --- servers ------------------------------------------------------------------------------------

if [ "$RUN_REDIS" = 1 ]; then
  pick_free_ports 1
  REDIS_PORT=$PICKED_BASE
  pick_free_ports 1
  REPLICA_PORT=$PICKED_BASE
  log "starting redis-server primary on 127.0.0.1:$REDIS_PORT, replica on $REPLICA_PORT"
  start_redis_with "$REDIS_PORT"
  REDIS_PID=$STARTED_PID
  REDIS_LOG=$STARTED_LOG
  # The replica loads the primary's (diskless) sync stream straight into memory, never via a file.
  start_redis_with "$REPLICA_PORT" --replicaof 127.0.0.1 "$REDIS_PORT" --repl-diskless-load on-empty-db
  REPLICA_PID=$STARTED_PID
  REPLICA_LOG=$STARTED_LOG
  wait_ping "redis-server primary" "$REDIS_PID" "$REDIS_PORT" "$REDIS_LOG" 30
  wait_ping "redis-server replica" "$REPLICA_PID" "$REPLICA_PORT" "$REPLICA_LOG" 30
  wait_redis_replica "$REDIS_PORT" "$REPLICA_PORT" "$REPLICA_PID" 60
  # Sanity: a write acknowledged by WAIT is readable on the replica. WAIT covers only the writes
  # of its own connection, so SET and WAIT go through one redis-cli, as in the load generator.
  reply=$(printf 'SET bench:sanity hello\nWAIT 1 5000\n' | cli "$REDIS_PORT" | tr -d '\r' | tr '\n' ' ')
  [ "$reply" = "OK 1 " ] || die "SET + WAIT 1 5000 on the redis primary answered: $reply (expected OK 1)"
  reply=$(cli "$REPLICA_PORT" GET bench:sanity)
  [ "$reply" = hello ] || die "GET on the redis replica answered: '$reply' (expected hello)"
  cli "$REDIS_PORT" DEL bench:sanity >/dev/null
  log "redis primary (PID $REDIS_PID) and replica (PID $REPLICA_PID) in sync"
fi

if [ "$RUN_OURS" = 1 ]; then
  # Client ports P..P+NODES-1; local-cluster may put cluster ports at P+10000.., so keep those
  # free too.
  pick_free_ports "$NODES" 10000
  BASE_PORT=$PICKED_BASE
  log "starting our cluster: bin/distributedcache local-cluster --nodes $NODES --base-port $BASE_PORT${CLUSTER_ARGS:+ $CLUSTER_ARGS} (JAVA_OPTS='${JAVA_OPTS:-}')"
  start_local_cluster "$NODES" "$BASE_PORT" "${cluster_args_arr[@]+"${cluster_args_arr[@]}"}"
  CLUSTER_PID=$STARTED_PID
  CLUSTER_LOG=$STARTED_LOG
  # A launcher without the subcommand exits at once with picocli's usage error.
  sleep 0.5
  if ! kill -0 "$CLUSTER_PID" 2>/dev/null && grep -qiE "unmatched argument|unknown (sub)?command" "$CLUSTER_LOG"; then
    tail -n 20 "$CLUSTER_LOG" >&2
    die "bin/distributedcache has no working 'local-cluster' command; use --only redis to measure Redis alone"
  fi
  wait_log_lines "our cluster" "$CLUSTER_PID" "$CLUSTER_LOG" "Caught up" "$NODES" 180
  OURS_TARGETS=""
  for ((i = 0; i < NODES; i++)); do
    wait_ping "our node $i" "$CLUSTER_PID" $((BASE_PORT + i)) "$CLUSTER_LOG" 60
    OURS_TARGETS+="${OURS_TARGETS:+,}127.0.0.1:$((BASE_PORT + i))"
  done
  # Sanity: a QUORUM write on the first node is read back at QUORUM from the last one (any two
  # majorities of the replicas overlap), over single connections as the load generator uses them.
  reply=$(printf 'CONSISTENCY QUORUM\nSET bench:sanity hello\n' | timeout 30 redis-cli -h 127.0.0.1 -p "$BASE_PORT" | tr -d '\r' | tr '\n' ' ')
  [ "$reply" = "OK OK " ] || die "CONSISTENCY QUORUM + SET on our node $BASE_PORT answered: $reply"
  last=$((BASE_PORT + NODES - 1))
  reply=$(printf 'CONSISTENCY QUORUM\nGET bench:sanity\n' | timeout 30 redis-cli -h 127.0.0.1 -p "$last" | tr -d '\r' | tr '\n' ' ')
  [ "$reply" = "OK hello " ] || die "CONSISTENCY QUORUM + GET on our node $last answered: $reply (expected OK hello)"
  printf 'CONSISTENCY QUORUM\nDEL bench:sanity\n' | timeout 30 redis-cli -h 127.0.0.1 -p "$BASE_PORT" >/dev/null
  CLUSTER_JVM=$(jvm_cmdline "$CLUSTER_PID")
  log "our cluster (PID $CLUSTER_PID) answers on $OURS_TARGETS"
fi

# --- runs ---------------------------------------------------------------------------------------

RAW="$BENCH_TMP/raw.tsv" # run round connections ops_per_sec p50 p99 p999 errors
: >"$RAW"
ERRS="$BENCH_TMP/errors.txt" # run round first-error
: >"$ERRS"
RUN_LIMIT=$((DURATION_S + WARMUP_S + 120))
COMMON_ARGS=(--command set --duration "$DURATION" --warmup "$WARMUP" --keyspace "$KEYSPACE"
  --value-size "$VALUE_SIZE" --seed "$SEED")

# loadgen RUN ROUND CONNECTIONS SERVER_PIDS [load generator args...]
loadgen() {
  local run=$1 round=$2 conns=$3 pids=$4 rc=0 p
  shift 4
  local out="$BENCH_TMP/$run-r$round.json" err="$BENCH_TMP/$run-r$round.err"
  local args=(-jar "$LOADGEN_JAR" "${COMMON_ARGS[@]}" --connections "$conns" --label "$run" "$@")
  log "round $round/$ROUNDS  $run  (java ${args[*]})"
  run_child "$out" "$err" timeout "$RUN_LIMIT" java "${loadgen_jvm_arr[@]}" "${args[@]}" || rc=$?
  if [ "$rc" -ne 0 ]; then
    cat "$err" >&2
    [ "$rc" = 124 ] && die "the load generator ($run) did not finish within ${RUN_LIMIT}s"
    die "the load generator ($run) exited with $rc"
  fi
  for p in $pids; do
    kill -0 "$p" 2>/dev/null || die "server PID $p died during $run"
  done
  grep -q '^{' "$out" || die "no JSON from the load generator ($run): $(cat "$out" "$err")"
  tail -n 1 "$err" | sed 's/^/    /' >&2
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$round" "$conns" \
    "$(json_number "$out" ops_per_sec)" "$(json_number "$out" p50_us)" "$(json_number "$out" p99_us)" \
    "$(json_number "$out" p999_us)" "$(json_number "$out" errors)" >>"$RAW"
  if [ "$(json_number "$out" errors)" != 0 ]; then
    printf '%s\tround %s\t%s\n' "$run" "$round" "$(sed -n 's/.*(first: \(.*\))$/\1/p' "$err" | tail -n 1)" >>"$ERRS"
  fi
}

# The single-connection runs go to the first node (ours) and the primary (redis).
for ((round = 1; round <= ROUNDS; round++)); do
  if [ "$RUN_OURS" = 1 ]; then
    loadgen ours "$round" "$CONNECTIONS" "$CLUSTER_PID" --targets "$OURS_TARGETS" --consistency QUORUM
  fi
  if [ "$RUN_REDIS" = 1 ]; then
    loadgen redis-wait "$round" "$CONNECTIONS" "$REDIS_PID $REPLICA_PID" --targets "127.0.0.1:$REDIS_PORT" --wait-replicas 1
    loadgen redis "$round" "$CONNECTIONS" "$REDIS_PID $REPLICA_PID" --targets "127.0.0.1:$REDIS_PORT"
  fi
  if [ "$RUN_OURS" = 1 ]; then
    loadgen ours-1c "$round" 1 "$CLUSTER_PID" --targets "127.0.0.1:$BASE_PORT" --consistency QUORUM
  fi
  if [ "$RUN_REDIS" = 1 ]; then
    loadgen redis-wait-1c "$round" 1 "$REDIS_PID $REPLICA_PID" --targets "127.0.0.1:$REDIS_PORT" --wait-replicas 1
  fi
done

# --- report -------------------------------------------------------------------------------------

# median FIELD RUN: median over rounds of column FIELD of RAW (4 ops/s, 5 p50, 6 p99, 7 p99.9),
# "-" when the run was not measured.
median() {
  awk -F'\t' -v f="$1" -v r="$2" '$1 == r { print $f }' "$RAW" |
    sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "-"; exit }
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# total FIELD RUN: sum over rounds (for errors, where a median could hide one bad round).
total() {
  awk -F'\t' -v f="$1" -v r="$2" '$1 == r { s += $f; n++ } END { if (n) print s; else print "-" }' "$RAW"
}
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'
}

RUN_NAMES=(ours redis-wait redis ours-1c redis-wait-1c)
declare -A DESC=(
  [ours]="(a) ours: $NODES-node cluster, SET at QUORUM, $CONNECTIONS conns over $NODES nodes"
  [redis-wait]="(b) redis primary + 1 replica, SET + WAIT 1 0, $CONNECTIONS conns"
  [redis]="(c) redis primary (replica attached), plain SET, $CONNECTIONS conns"
  [ours-1c]="(a1) ours, SET at QUORUM, 1 conn"
  [redis-wait-1c]="(b1) redis, SET + WAIT 1 0, 1 conn"
)
declare -A OPS P50 P99 P999 ERRN
for r in "${RUN_NAMES[@]}"; do
  OPS[$r]=$(median 4 "$r"); P50[$r]=$(median 5 "$r"); P99[$r]=$(median 6 "$r")
  P999[$r]=$(median 7 "$r"); ERRN[$r]=$(total 8 "$r")
done

table_md() {
  echo "| run | ops/s | p50 µs | p99 µs | p99.9 µs | errors (all rounds) | ours ÷ this, ops/s |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for r in "${RUN_NAMES[@]}"; do
    [ "${OPS[$r]}" = - ] && continue
    local vs="" ops
    case "$r" in redis-wait | redis) vs=$(ratio "${OPS[ours]}" "${OPS[$r]}") ;; ours) vs="1.00" ;; *) vs="" ;; esac
    ops=$(awk -v v="${OPS[$r]}" 'BEGIN { printf "%.0f", v }')
    echo "| ${DESC[$r]} | $ops | ${P50[$r]} | ${P99[$r]} | ${P999[$r]} | ${ERRN[$r]} | $vs |"
  done
  echo
  echo "| ratio (ours / peer) | vs (b) redis + WAIT 1 0 | vs (c) redis plain SET |"
  echo "|---|---:|---:|"
  echo "| throughput, $CONNECTIONS conns (above 1: we do more) | $(ratio "${OPS[ours]}" "${OPS[redis-wait]}") | $(ratio "${OPS[ours]}" "${OPS[redis]}") |"
  echo "| p50 latency, $CONNECTIONS conns (above 1: we are slower) | $(ratio "${P50[ours]}" "${P50[redis-wait]}") | $(ratio "${P50[ours]}" "${P50[redis]}") |"
  echo "| p99 latency, $CONNECTIONS conns (above 1: we are slower) | $(ratio "${P99[ours]}" "${P99[redis-wait]}") | $(ratio "${P99[ours]}" "${P99[redis]}") |"
  echo "| p50 latency, 1 conn (above 1: we are slower) | $(ratio "${P50[ours-1c]}" "${P50[redis-wait-1c]}") | not run |"
}

SUMMARY_LINE="SET, ${VALUE_SIZE}-byte values, keyspace $KEYSPACE, $DURATION measured after $WARMUP warm-up per run; medians over $ROUNDS round(s)"
echo
table_md
echo
echo "$SUMMARY_LINE"
if [ -s "$ERRS" ]; then
  echo "WARNING: some runs had errors (first error of each):"
  sed 's/^/  /' "$ERRS"
fi

if [ "$MARKDOWN" = 1 ]; then
  mkdir -p "$BENCH_DIR/results"
  STAMP=$(date +%Y-%m-%d-%H%M%S)
  MD="$BENCH_DIR/results/cluster-vs-redis-$STAMP.md"
  {
    echo "# Replicated SET: DistributedCache cluster vs redis-server with a replica ($STAMP)"
    echo
    echo "Date: $(date -R)"
    echo
    echo "Command line: \`$CMDLINE\`"
    echo
    echo "$SUMMARY_LINE. Load generator: \`java $LOADGEN_JAVA_OPTS -jar $(basename "$LOADGEN_JAR") ${COMMON_ARGS[*]} --connections C --targets ... [--consistency QUORUM | --wait-replicas 1]\`"
    echo "(closed loop, one command in flight per connection; latency from sending SET to the last reply, WAIT included)."
    echo "Order in each round: (a), (b), (c), (a1), (b1)."
    echo
    table_md
    echo
    echo "## Machine"
    echo
    machine_info_md
    echo
    echo "## Servers"
    echo
    if [ "$RUN_OURS" = 1 ]; then
      echo "- ours: \`bin/distributedcache local-cluster --nodes $NODES --base-port $BASE_PORT${CLUSTER_ARGS:+ $CLUSTER_ARGS}\`, JAVA_OPTS='${JAVA_OPTS:-}'"
      echo "  - JVM command line: \`$CLUSTER_JVM\`"
      echo "  - client ports: $OURS_TARGETS"
    fi
    if [ "$RUN_REDIS" = 1 ]; then
      echo "- redis primary: \`redis-server --save '' --appendonly no --port $REDIS_PORT --bind 127.0.0.1 --daemonize no --dir ...\`"
      echo "- redis replica: same, port $REPLICA_PORT, plus \`--replicaof 127.0.0.1 $REDIS_PORT --repl-diskless-load on-empty-db\`"
      echo "- redis primary at the end: $(cli "$REDIS_PORT" DBSIZE 2>/dev/null || echo '?') keys; $(cli "$REDIS_PORT" INFO replication 2>/dev/null | tr -d '\r' | grep -E '^(connected_slaves|slave0):' | tr '\n' ' ' || true)"
    fi
    echo
    echo "## Every run"
    echo
    echo "| run | round | connections | ops/s | p50 µs | p99 µs | p99.9 µs | errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$RAW"
    if [ -s "$ERRS" ]; then
      echo
      echo "## First error of each run with errors"
      echo
      echo '```'
      cat "$ERRS"
      echo '```'
    fi
  } >"$MD"
  echo "written: $MD"
fi

log "stopping servers"
if [ "$RUN_OURS" = 1 ]; then
  stop_pid "$CLUSTER_PID"; forget_pid "$CLUSTER_PID"
  for ((i = 0; i < NODES; i++)); do
    port_in_use $((BASE_PORT + i)) && log "warning: port $((BASE_PORT + i)) still in use after stopping our cluster"
  done
fi
if [ "$RUN_REDIS" = 1 ]; then
  stop_pid "$REPLICA_PID"; forget_pid "$REPLICA_PID"
  stop_pid "$REDIS_PID"; forget_pid "$REDIS_PID"
fi
exit 0
