#!/usr/bin/env bash
# Memory per key: resident memory growth of our server and of redis-server when loading 1,000,000
# distinct keys `key:%012d` with 100-byte values.
#
#   bench/memory-per-key.sh
#   JAVA_OPTS='-Xmx1g' bench/memory-per-key.sh --only ours
#   bench/memory-per-key.sh --keys 10000          # smoke run
#
# See bench/README.md for what the numbers mean.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'EOF'
Usage: bench/memory-per-key.sh [options]

For each server in turn (ours, then redis-server), started fresh: waits until it answers PING and
its VmRSS is stable, loads KEYS distinct keys key:%012d with VALUE_SIZE-byte values through
`redis-cli --pipe`, checks DBSIZE, waits until VmRSS is stable again and reports
(RSS after - RSS before) / KEYS.

Options:
  --keys N             keys to load (default 1000000)
  --value-size B       value size in bytes (default 100)
  --only ours|redis    measure one server only
  --server-args "..."  extra arguments for our server, e.g. "--io-threads 1"
  --stable-window S    VmRSS counts as stable when it moved by at most max(512 KiB, 0.5%)
                       over the last S one-second samples (default 5)
  --stable-timeout S   give up waiting for a stable VmRSS after S seconds, use the last sample
                       and say so (default 180)
  --no-gc              do not force full GCs on our JVM (jcmd GC.run) after the RSS measurement
  --no-markdown        do not write bench/results/memory-per-key-<date>.md
  -h, --help           this help

Environment: JAVA_OPTS is passed to our server's JVM (e.g. JAVA_OPTS='-Xmx2g').
EOF
}

CMDLINE=$(quote_cmdline "$0" "$@")
KEYS=1000000
VALUE_SIZE=100
ONLY=""
SERVER_ARGS=""
STABLE_WINDOW=5
STABLE_TIMEOUT=180
FORCE_GC=1
MARKDOWN=1

while [ $# -gt 0 ]; do
  case "$1" in
    --keys) KEYS=${2:?--keys needs a value}; shift 2 ;;
    --value-size) VALUE_SIZE=${2:?--value-size needs a value}; shift 2 ;;
    --only) ONLY=${2:?--only needs a value}; shift 2 ;;
    --server-args) SERVER_ARGS=${2?--server-args needs a value}; shift 2 ;;
    --stable-window) STABLE_WINDOW=${2:?--stable-window needs a value}; shift 2 ;;
    --stable-timeout) STABLE_TIMEOUT=${2:?--stable-timeout needs a value}; shift 2 ;;
    --no-gc) FORCE_GC=0; shift ;;
    --no-markdown) MARKDOWN=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

for v in "$KEYS" "$VALUE_SIZE" "$STABLE_WINDOW" "$STABLE_TIMEOUT"; do
  is_uint "$v" || die "not a positive integer: $v"
done
[ "$KEYS" -le 1000000000000 ] || die "--keys too large for key:%012d"
case "$ONLY" in "" | ours | redis) ;; *) die "--only takes ours or redis" ;; esac
TARGETS="ours redis"
[ -n "$ONLY" ] && TARGETS=$ONLY

# wait_rss_stable PID LABEL: sets RSS_VALUE to the VmRSS (KiB) once it has been stable for
# STABLE_WINDOW samples, and RSS_STABLE=yes|no.
wait_rss_stable() {
  local pid=$1 label=$2 deadline=$((SECONDS + STABLE_TIMEOUT)) samples=() cur lo hi tol s
  while :; do
    kill -0 "$pid" 2>/dev/null || die "$label: PID $pid exited"
    cur=$(rss_kib "$pid")
    samples+=("$cur")
    if [ "${#samples[@]}" -ge "$STABLE_WINDOW" ]; then
      samples=("${samples[@]: -$STABLE_WINDOW}")
      lo=${samples[0]}
      hi=${samples[0]}
      for s in "${samples[@]}"; do
        [ "$s" -lt "$lo" ] && lo=$s
        [ "$s" -gt "$hi" ] && hi=$s
      done
      tol=$((hi / 200))
      [ "$tol" -lt 512 ] && tol=512
      if [ $((hi - lo)) -le "$tol" ]; then
        RSS_STABLE=yes
        log "$label: VmRSS stable at ${cur} KiB (last $STABLE_WINDOW samples within $((hi - lo)) KiB)"
        RSS_VALUE=$cur
        return 0
      fi
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      RSS_STABLE=no
      log "$label: WARNING VmRSS not stable after ${STABLE_TIMEOUT}s (last samples: ${samples[*]} KiB); using ${cur} KiB"
      RSS_VALUE=$cur
      return 0
    fi
    sleep 1
  done
}

# The RESP stream of KEYS SET commands: key:%012d, value = the index in 12 digits then 'x's
# (so values differ), cut to VALUE_SIZE bytes.
gen_resp() {
  awk -v n="$KEYS" -v vs="$VALUE_SIZE" 'BEGIN {
    fill = ""
    for (j = 12; j < vs; j++) fill = fill "x"
    for (i = 0; i < n; i++) {
      k = sprintf("key:%012d", i)
      v = substr(sprintf("%012d", i) fill, 1, vs)
      printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, vs, v
    }
  }'
}

bench_init
ensure_redis_tools
command -v awk >/dev/null 2>&1 || die "awk is required"
case " $TARGETS " in *" ours "*) build_ours ;; esac
read -r -a server_args_arr <<<"$SERVER_ARGS"

RESULTS="$BENCH_TMP/results.tsv"
: >"$RESULTS"
declare -A R # R[target.field]

measure() {
  local target=$1 port pid logf out errors replies dbsize
  port=$(free_port)
  if [ "$target" = ours ]; then
    log "starting our server on 127.0.0.1:$port (JAVA_OPTS='${JAVA_OPTS:-}')"
    start_ours "$port" "${server_args_arr[@]+"${server_args_arr[@]}"}"
    pid=$STARTED_PID; logf=$STARTED_LOG
    wait_ping "our server" "$pid" "$port" "$logf" 180
    R[ours.jvm]=$(jvm_cmdline "$pid")
  else
    log "starting redis-server on 127.0.0.1:$port"
    start_redis "$port"
    pid=$STARTED_PID; logf=$STARTED_LOG
    wait_ping "redis-server" "$pid" "$port" "$logf" 30
  fi
  [ "$(cli "$port" DBSIZE)" = 0 ] || die "$target: not empty at start"

  wait_rss_stable "$pid" "$target idle"
  R[$target.rss0]=$RSS_VALUE
  R[$target.stable0]=$RSS_STABLE
  R[$target.used0]=$(info_field "$port" memory used_memory)

  log "$target: loading $KEYS keys with $VALUE_SIZE-byte values (redis-cli --pipe)"
  local t0=$SECONDS
  local pipe_out="$BENCH_TMP/$target-pipe.out"
  load_keys() { gen_resp | redis-cli -h 127.0.0.1 -p "$1" --pipe; }
  run_child "$pipe_out" - load_keys "$port" || {
    cat "$pipe_out" >&2
    die "$target: redis-cli --pipe failed"
  }
  out=$(cat "$pipe_out")
  R[$target.load_s]=$((SECONDS - t0))
  errors=$(echo "$out" | sed -n 's/.*errors: \([0-9]*\), replies: \([0-9]*\).*/\1/p' | tail -n 1)
  replies=$(echo "$out" | sed -n 's/.*errors: \([0-9]*\), replies: \([0-9]*\).*/\2/p' | tail -n 1)
  [ "$errors" = 0 ] && [ "$replies" = "$KEYS" ] || {
    echo "$out" >&2
    die "$target: redis-cli --pipe reported errors=$errors replies=$replies (want 0 and $KEYS)"
  }
  dbsize=$(cli "$port" DBSIZE)
  [ "$dbsize" = "$KEYS" ] || die "$target: DBSIZE is $dbsize after loading, want $KEYS"
  R[$target.dbsize]=$dbsize
  # Spot check one value.
  local want
  want=$(awk -v i=$((KEYS - 1)) -v vs="$VALUE_SIZE" 'BEGIN { f = ""; for (j = 12; j < vs; j++) f = f "x"; print substr(sprintf("%012d", i) f, 1, vs) }')
  [ "$(cli "$port" GET "$(printf 'key:%012d' $((KEYS - 1)))")" = "$want" ] || die "$target: last key has the wrong value"

  wait_rss_stable "$pid" "$target loaded"
  R[$target.rss1]=$RSS_VALUE
  R[$target.stable1]=$RSS_STABLE
  R[$target.used1]=$(info_field "$port" memory used_memory)
  if [ "$target" = ours ]; then
    R[ours.dataset]=$(info_field "$port" memory used_memory_dataset)
    R[ours.committed]=$(info_field "$port" memory jvm_heap_committed)
    R[ours.heapmax]=$(info_field "$port" memory jvm_heap_max)
    R[ours.gc_loaded]=""
    R[ours.gc_empty]=""
    if [ "$FORCE_GC" = 1 ]; then
      if command -v jcmd >/dev/null 2>&1 && timeout 120 jcmd "$pid" GC.run >/dev/null 2>&1; then
        sleep 1
        R[ours.gc_loaded]=$(info_field "$port" memory used_memory)
        R[ours.rss_gc]=$(rss_kib "$pid")
        cli "$port" FLUSHALL >/dev/null
        timeout 120 jcmd "$pid" GC.run >/dev/null 2>&1 || true
        sleep 1
        R[ours.gc_empty]=$(info_field "$port" memory used_memory)
      else
        log "ours: jcmd GC.run unavailable or failed; skipping the heap-after-full-GC figure"
      fi
    fi
  fi
  stop_pid "$pid"
  forget_pid "$pid"
}

for t in $TARGETS; do measure "$t"; done

per_key() { awk -v a="$1" -v b="$2" -v n="$KEYS" -v s="${3:-1}" 'BEGIN { if (a == "" || b == "") print "-"; else printf "%.1f", (b - a) * s / n }'; }
mib() { awk -v k="$1" -v s="${2:-1024}" 'BEGIN { if (k == "") print "-"; else printf "%.1f", k * s / 1048576 }'; }

report() {
  local md=$1 t ratio
  if [ "$md" = 1 ]; then
    echo "| server | RSS idle MiB | RSS loaded MiB | RSS bytes/key | used_memory idle MiB | used_memory loaded MiB | used_memory bytes/key |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
  else
    printf '\n%-6s %13s %15s %14s %21s %23s %22s\n' server "RSS idle MiB" "RSS loaded MiB" "RSS bytes/key" \
      "used_memory idle MiB" "used_memory loaded MiB" "used_memory bytes/key"
  fi
  for t in $TARGETS; do
    local row=("$t" "$(mib "${R[$t.rss0]}")" "$(mib "${R[$t.rss1]}")" "$(per_key "${R[$t.rss0]}" "${R[$t.rss1]}" 1024)"
      "$(mib "${R[$t.used0]}" 1)" "$(mib "${R[$t.used1]}" 1)" "$(per_key "${R[$t.used0]}" "${R[$t.used1]}")")
    if [ "$md" = 1 ]; then
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${row[@]}"
    else
      printf '%-6s %13s %15s %14s %21s %23s %22s\n' "${row[@]}"
    fi
  done
  echo
  if [ -z "$ONLY" ]; then
    ratio=$(awk -v o="$(per_key "${R[ours.rss0]}" "${R[ours.rss1]}" 1024)" -v r="$(per_key "${R[redis.rss0]}" "${R[redis.rss1]}" 1024)" \
      'BEGIN { if (r + 0 > 0) printf "%.2f", o / r; else print "nan" }')
    echo "RSS bytes per key, ours/redis: $ratio"
  fi
  for t in $TARGETS; do
    [ "${R[$t.stable0]}" = yes ] && [ "${R[$t.stable1]}" = yes ] || echo "WARNING: $t VmRSS was not stable within ${STABLE_TIMEOUT}s; its figure is approximate."
    echo "$t: load through redis-cli --pipe took ${R[$t.load_s]}s; DBSIZE ${R[$t.dbsize]}"
  done
  case " $TARGETS " in
    *" ours "*)
      echo "ours: used_memory is the JVM heap in use (live objects plus garbage not yet collected);"
      echo "  used_memory_dataset (the store's own size estimate) loaded: ${R[ours.dataset]:-?} bytes = $(per_key 0 "${R[ours.dataset]:-}") bytes/key;"
      echo "  heap committed $(mib "${R[ours.committed]:-}" 1) MiB, max $(mib "${R[ours.heapmax]:-}" 1) MiB."
      if [ -n "${R[ours.gc_loaded]:-}" ]; then
        echo "ours: heap used after a full GC (jcmd GC.run): loaded $(mib "${R[ours.gc_loaded]}" 1) MiB, after FLUSHALL $(mib "${R[ours.gc_empty]}" 1) MiB"
        echo "  => live heap $(per_key "${R[ours.gc_empty]}" "${R[ours.gc_loaded]}") bytes/key (RSS after that GC: $(mib "${R[ours.rss_gc]}") MiB)"
      fi
      echo "ours: JAVA_OPTS='${JAVA_OPTS:-}'"
      echo "ours: JVM command line: ${R[ours.jvm]}"
      ;;
  esac
}

report 0
if [ "$MARKDOWN" = 1 ]; then
  mkdir -p "$BENCH_DIR/results"
  STAMP=$(date +%Y-%m-%d-%H%M%S)
  MD="$BENCH_DIR/results/memory-per-key-$STAMP.md"
  {
    echo "# Memory per key: DistributedCache vs redis-server ($STAMP)"
    echo
    echo "Date: $(date -R)"
    echo
    echo "Command line: \`$CMDLINE\`"
    echo
    echo "$KEYS distinct keys \`key:%012d\` with $VALUE_SIZE-byte values, loaded with \`redis-cli --pipe\` into a fresh server."
    echo "RSS is VmRSS of the server process once stable (idle before loading, after loading); bytes/key = (loaded - idle) / $KEYS."
    echo
    report 1
    echo
    echo "## Machine"
    echo
    machine_info_md
  } >"$MD"
  echo "written: $MD"
fi
