#!/usr/bin/env bash
# Throughput and latency of SET and GET, our server against redis-server, with redis-benchmark.
#
#   bench/redis-benchmark.sh                 # full run: -P 1 with 1,000,000 and -P 16 with 4,000,000 requests, 2 rounds
#   bench/redis-benchmark.sh --quick         # smoke run with small request counts, 1 round
#   bench/redis-benchmark.sh --requests 500000 --rounds 3
#   JAVA_OPTS='-Xms2g -Xmx2g' bench/redis-benchmark.sh
#
# See bench/README.md for what the numbers mean.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'EOF'
Usage: bench/redis-benchmark.sh [options]

Runs `redis-benchmark -t set,get -d 100 -r 1000000 -c 50 -P {1|16} -n N --csv -q` against our
server and against redis-server in alternation (ours, redis, ours, redis, ...) and reports the
median per target.

Options:
  --rounds R          rounds per pipeline depth, each running ours then redis (default 2)
  --requests N        requests per redis-benchmark run, for every pipeline depth
                      (default 1000000 for -P 1 and 4000000 for -P 16)
  --quick             smoke run: 20000 requests (-P 1) / 80000 (-P 16), 1 round unless --rounds
  --pipelines "1 16"  pipeline depths to run (default "1 16")
  --clients C         parallel connections, redis-benchmark -c (default 50)
  --data-size D       value size in bytes, redis-benchmark -d (default 100)
  --keyspace K        random key range, redis-benchmark -r (default 1000000)
  --threads T         redis-benchmark --threads T (default: none, single-threaded client)
  --server-args "..." extra arguments for our server, e.g. "--io-threads 1"
  --timeout S         kill a redis-benchmark run after S seconds (default N/1000+300)
  --no-markdown       do not write bench/results/redis-benchmark-<date>.md
  -h, --help          this help

Environment: JAVA_OPTS is passed to our server's JVM.
EOF
}

CMDLINE=$(quote_cmdline "$0" "$@")
ROUNDS=""
REQUESTS=""
QUICK=0
PIPELINES="1 16"
CLIENTS=50
DATA_SIZE=100
KEYSPACE=1000000
THREADS=""
SERVER_ARGS=""
RUN_TIMEOUT=""
MARKDOWN=1

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
    --requests) REQUESTS=${2:?--requests needs a value}; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --pipelines) PIPELINES=${2:?--pipelines needs a value}; shift 2 ;;
    --clients) CLIENTS=${2:?--clients needs a value}; shift 2 ;;
    --data-size) DATA_SIZE=${2:?--data-size needs a value}; shift 2 ;;
    --keyspace) KEYSPACE=${2:?--keyspace needs a value}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a value}; shift 2 ;;
    --server-args) SERVER_ARGS=${2?--server-args needs a value}; shift 2 ;;
    --timeout) RUN_TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
    --no-markdown) MARKDOWN=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

[ -z "$ROUNDS" ] && { [ "$QUICK" = 1 ] && ROUNDS=1 || ROUNDS=2; }
is_uint "$ROUNDS" || die "--rounds must be a positive integer"
[ -z "$REQUESTS" ] || is_uint "$REQUESTS" || die "--requests must be a positive integer"
for v in "$CLIENTS" "$DATA_SIZE" "$KEYSPACE"; do is_uint "$v" || die "not a positive integer: $v"; done
[ -z "$THREADS" ] || is_uint "$THREADS" || die "--threads must be a positive integer"
[ -z "$RUN_TIMEOUT" ] || is_uint "$RUN_TIMEOUT" || die "--timeout must be a positive integer"
for p in $PIPELINES; do is_uint "$p" || die "bad pipeline depth: $p"; done

requests_for() {
  if [ -n "$REQUESTS" ]; then
    echo "$REQUESTS"
  elif [ "$QUICK" = 1 ]; then
    [ "$1" -gt 1 ] && echo 80000 || echo 20000
  else
    [ "$1" -gt 1 ] && echo 4000000 || echo 1000000
  fi
}

bench_init
ensure_redis_tools
build_ours

OURS_PORT=$(free_port)
REDIS_PORT=$(free_port)
read -r -a server_args_arr <<<"$SERVER_ARGS"

log "starting our server on 127.0.0.1:$OURS_PORT (JAVA_OPTS='${JAVA_OPTS:-}')"
start_ours "$OURS_PORT" "${server_args_arr[@]+"${server_args_arr[@]}"}"
OURS_PID=$STARTED_PID
OURS_LOG=$STARTED_LOG
log "starting redis-server on 127.0.0.1:$REDIS_PORT"
start_redis "$REDIS_PORT"
REDIS_PID=$STARTED_PID
REDIS_LOG=$STARTED_LOG

wait_ping "our server" "$OURS_PID" "$OURS_PORT" "$OURS_LOG" 180
wait_ping "redis-server" "$REDIS_PID" "$REDIS_PORT" "$REDIS_LOG" 30
log "both answer PING (ours PID $OURS_PID, redis PID $REDIS_PID)"
OURS_JVM=$(jvm_cmdline "$OURS_PID")

# Sanity check: a SET then GET round trip on each, so that a broken server fails here rather
# than as a meaningless number.
for port in "$OURS_PORT" "$REDIS_PORT"; do
  [ "$(cli "$port" SET bench:sanity hello)" = OK ] || die "SET failed on port $port"
  [ "$(cli "$port" GET bench:sanity)" = hello ] || die "GET failed on port $port"
  cli "$port" DEL bench:sanity >/dev/null
done

RAW="$BENCH_TMP/raw.tsv" # target pipeline round test rps p50 p99 avg max
: >"$RAW"
ERRS="$BENCH_TMP/stderr-all.txt"
: >"$ERRS"

# parse_csv TARGET PIPELINE ROUND FILE: appends the rows of redis-benchmark's CSV to RAW, finding
# the columns by their header names.
parse_csv() {
  awk -F',' -v target="$1" -v pipe="$2" -v round="$3" '
    { gsub(/"/, ""); gsub(/\r/, "") }
    $1 == "test" {
      for (i = 1; i <= NF; i++) col[$i] = i
      if (!("rps" in col) || !("p50_latency_ms" in col) || !("p99_latency_ms" in col)) {
        print "unexpected CSV header: " $0 > "/dev/stderr"; exit 2
      }
      next
    }
    ("rps" in col) && NF > 1 {
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", target, pipe, round, $1,
        $col["rps"], $col["p50_latency_ms"], $col["p99_latency_ms"],
        (("avg_latency_ms" in col) ? $col["avg_latency_ms"] : "-"),
        (("max_latency_ms" in col) ? $col["max_latency_ms"] : "-")
      rows++
    }
    END { if (rows == 0) exit 3 }
  ' "$4" >>"$RAW"
}

run_one() {
  local target=$1 port=$2 pid=$3 pipe=$4 round=$5 n
  n=$(requests_for "$pipe")
  local limit=${RUN_TIMEOUT:-$((n / 1000 + 300))}
  local out="$BENCH_TMP/$target-P$pipe-r$round.csv" err="$BENCH_TMP/$target-P$pipe-r$round.err"
  local args=(-h 127.0.0.1 -p "$port" -t set,get -d "$DATA_SIZE" -r "$KEYSPACE" -c "$CLIENTS"
    -P "$pipe" -n "$n" --csv -q)
  [ -n "$THREADS" ] && args+=(--threads "$THREADS")
  log "round $round/$ROUNDS  -P $pipe  $target  (redis-benchmark ${args[*]})"
  local rc=0
  run_child "$out" "$err" timeout "$limit" redis-benchmark "${args[@]}" || rc=$?
  if [ -s "$err" ]; then
    sed "s/^/[$target -P $pipe round $round] /" "$err" | sort | uniq -c | sed 's/^ *//' >>"$ERRS"
  fi
  if [ "$rc" -ne 0 ]; then
    cat "$err" >&2
    [ "$rc" = 124 ] && die "redis-benchmark against $target timed out after ${limit}s"
    die "redis-benchmark against $target exited with $rc"
  fi
  kill -0 "$pid" 2>/dev/null || die "$target (PID $pid) died during the benchmark"
  parse_csv "$target" "$pipe" "$round" "$out" || die "could not parse redis-benchmark output: $(cat "$out")"
}

for pipe in $PIPELINES; do
  for ((round = 1; round <= ROUNDS; round++)); do
    run_one ours "$OURS_PORT" "$OURS_PID" "$pipe" "$round"
    run_one redis "$REDIS_PORT" "$REDIS_PID" "$pipe" "$round"
  done
done

OURS_KEYS=$(cli "$OURS_PORT" DBSIZE || echo '?')
REDIS_KEYS=$(cli "$REDIS_PORT" DBSIZE || echo '?')
stats_of() {
  cli "$1" INFO stats | tr -d '\r' |
    grep -E '^(total_commands_processed|total_error_replies|unexpected_error_replies|total_error_replies_protocol|unknown_commands|keyspace_hits|keyspace_misses):' |
    tr '\n' ' ' || true
}
OURS_ERRSTATS=$(stats_of "$OURS_PORT")
REDIS_STATS=$(stats_of "$REDIS_PORT")
OURS_UNKNOWN=$(cli "$OURS_PORT" INFO errorstats 2>/dev/null | tr -d '\r' | grep -v '^#' | tr '\n' ' ' || true)

# median FIELD TARGET TEST PIPE: median over rounds of column FIELD (5 rps, 6 p50, 7 p99).
median() {
  awk -F'\t' -v f="$1" -v t="$2" -v test="$3" -v p="$4" '$1 == t && $4 == test && $2 == p { print $f }' "$RAW" |
    sort -g |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "nan"; exit }
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

SUMMARY="$BENCH_TMP/summary.tsv" # test pipe ours_rps redis_rps ratio ours_p50 ours_p99 redis_p50 redis_p99
: >"$SUMMARY"
for pipe in $PIPELINES; do
  for test in SET GET; do
    o_rps=$(median 5 ours "$test" "$pipe"); r_rps=$(median 5 redis "$test" "$pipe")
    o50=$(median 6 ours "$test" "$pipe"); o99=$(median 7 ours "$test" "$pipe")
    r50=$(median 6 redis "$test" "$pipe"); r99=$(median 7 redis "$test" "$pipe")
    ratio=$(awk -v a="$o_rps" -v b="$r_rps" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "nan" }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$test" "$pipe" "$o_rps" "$r_rps" "$ratio" \
      "$o50" "$o99" "$r50" "$r99" >>"$SUMMARY"
  done
done

print_table() {
  printf '\n%-5s %8s %14s %14s %12s %17s %17s\n' test pipeline "ours ops/s" "redis ops/s" "ours/redis" \
    "ours p50/p99 ms" "redis p50/p99 ms"
  awk -F'\t' '{ printf "%-5s %8s %14.0f %14.0f %12s %17s %17s\n", $1, $2, $3, $4, $5, $6 "/" $7, $8 "/" $9 }' "$SUMMARY"
  echo
}

print_table
echo "medians over $ROUNDS round(s); requests per run: $(for p in $PIPELINES; do printf -- '-P %s: %s  ' "$p" "$(requests_for "$p")"; done)"
echo "our JVM: $OURS_JVM"
echo "keys after the runs: ours $OURS_KEYS, redis $REDIS_KEYS"
[ -n "$OURS_ERRSTATS" ] && echo "our INFO stats: $OURS_ERRSTATS"
[ -n "$REDIS_STATS" ] && echo "redis INFO stats: $REDIS_STATS"
if [ -s "$ERRS" ]; then
  echo "redis-benchmark wrote to stderr (count, run, line):"
  sed 's/^/  /' "$ERRS"
fi

if [ "$MARKDOWN" = 1 ]; then
  mkdir -p "$BENCH_DIR/results"
  STAMP=$(date +%Y-%m-%d-%H%M%S)
  MD="$BENCH_DIR/results/redis-benchmark-$STAMP.md"
  {
    echo "# redis-benchmark: DistributedCache vs redis-server ($STAMP)"
    echo
    echo "Date: $(date -R)"
    echo
    echo "Command line: \`$CMDLINE\`"
    echo
    echo "Each run: \`redis-benchmark -h 127.0.0.1 -p PORT -t set,get -d $DATA_SIZE -r $KEYSPACE -c $CLIENTS -P {pipeline} -n N --csv -q${THREADS:+ --threads $THREADS}\`;"
    echo "requests per run: $(for p in $PIPELINES; do printf -- '-P %s: %s; ' "$p" "$(requests_for "$p")"; done)"
    echo "$ROUNDS round(s) per pipeline depth, ours then redis in each round; the table shows the median per target"
    echo "(the mean of the two middle values when the count is even), each column taken separately."
    echo
    echo "| test | pipeline | ours ops/s | redis ops/s | ours/redis | ours p50/p99 ms | redis p50/p99 ms |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %s | %.0f | %.0f | %s | %s / %s | %s / %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$SUMMARY"
    echo
    echo "## Machine"
    echo
    machine_info_md
    echo
    echo "## Servers"
    echo
    echo "- ours: \`bin/distributedcache server --port $OURS_PORT${SERVER_ARGS:+ $SERVER_ARGS}\`, JAVA_OPTS='${JAVA_OPTS:-}'"
    echo "  - JVM command line: \`$OURS_JVM\`"
    echo "- redis: \`redis-server --save '' --appendonly no --port $REDIS_PORT --bind 127.0.0.1 --daemonize no\`"
    echo "- keys at the end: ours $OURS_KEYS, redis $REDIS_KEYS"
    [ -n "$OURS_ERRSTATS" ] && echo "- our INFO stats: $OURS_ERRSTATS"
    [ -n "$REDIS_STATS" ] && echo "- redis INFO stats: $REDIS_STATS"
    [ -n "$OURS_UNKNOWN" ] && echo "- our INFO errorstats: $OURS_UNKNOWN"
    echo
    echo "## Every run"
    echo
    echo "| target | pipeline | round | test | ops/s | avg ms | p50 ms | p99 ms | max ms |"
    echo "|---|---:|---:|---|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $8, $6, $7, $9 }' "$RAW"
    if [ -s "$ERRS" ]; then
      echo
      echo "## redis-benchmark stderr (count, run, line)"
      echo
      echo '```'
      cat "$ERRS"
      echo '```'
    fi
  } >"$MD"
  echo "written: $MD"
fi

log "stopping servers"
stop_pid "$OURS_PID"; forget_pid "$OURS_PID"
stop_pid "$REDIS_PID"; forget_pid "$REDIS_PID"
if ! grep -q 'Stopped' "$OURS_LOG"; then
  log "warning: our server's log has no 'Stopped' line after SIGTERM"
fi
