# Shared helpers of the bench/ scripts. Sourced, not run: the caller sets `set -euo pipefail`.
#
# Every process started through start_ours/start_redis is remembered by PID in BENCH_PIDS and
# stopped by bench_cleanup (installed on EXIT by bench_init), so a failing or interrupted run
# leaves nothing behind.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# DISTRIBUTEDCACHE_LAUNCHER only exists to test these scripts with a stand-in server.
LAUNCHER="${DISTRIBUTEDCACHE_LAUNCHER:-$ROOT/bin/distributedcache}"
BENCH_PIDS=()
BENCH_PORTS=()
BENCH_TMP=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dcbench.XXXXXX")
  trap bench_cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
}

# All descendants of a PID (children first listed after their parent), e.g. the mvn build the
# launcher runs before it execs java.
descendants() {
  local p kids k
  p=$1
  kids=$(ps -o pid= --ppid "$p" 2>/dev/null || true)
  for k in $kids; do
    echo "$k"
    descendants "$k"
  done
}

# Stops one process we started (and whatever it started): SIGTERM, then SIGKILL after a grace.
stop_pid() {
  local pid=$1 grace=${2:-20} i kids
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kids=$(descendants "$pid")
  kill -TERM "$pid" $kids 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "PID $pid did not stop within ${grace}s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" $kids 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  # Newest first: a load generator before the servers it talks to.
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${BENCH_PIDS[$i]}" 10
  done
  BENCH_PIDS=()
  if [ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ]; then
    if [ "$rc" -ne 0 ] && [ "${KEEP_LOGS_ON_FAILURE:-1}" = 1 ]; then
      log "logs kept in $BENCH_TMP"
    else
      rm -rf "$BENCH_TMP"
    fi
  fi
  exit "$rc"
}

forget_pid() {
  local pid=$1 p rest=()
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || rest+=("$p"); done
  BENCH_PIDS=("${rest[@]+"${rest[@]}"}")
}

# run_child OUT ERR CMD...: runs CMD in the background with stdout to OUT and stderr to ERR ("-":
# to OUT too) and waits for it, so that a SIGTERM/SIGINT to this script is handled at once (bash
# defers traps while a foreground command runs) and cleanup stops CMD too. Returns CMD's status.
run_child() {
  local out=$1 err=$2 pid rc=0
  shift 2
  if [ "$err" = - ]; then
    "$@" >"$out" 2>&1 </dev/null &
  else
    "$@" >"$out" 2>"$err" </dev/null &
  fi
  pid=$!
  BENCH_PIDS+=("$pid")
  wait "$pid" || rc=$?
  forget_pid "$pid"
  return "$rc"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root or sudo to run: $*"
  fi
}

# redis-server / redis-cli / redis-benchmark come from Debian's redis-server and redis-tools.
ensure_redis_tools() {
  local missing=0 t
  for t in redis-server redis-cli redis-benchmark; do
    command -v "$t" >/dev/null 2>&1 || missing=1
  done
  if [ "$missing" = 1 ]; then
    command -v apt-get >/dev/null 2>&1 || die "redis-server/redis-tools missing and no apt-get to install them"
    log "installing redis-server and redis-tools with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
  fi
  for t in redis-server redis-cli redis-benchmark; do
    command -v "$t" >/dev/null 2>&1 || die "$t still missing after install"
  done
}

port_in_use() {
  local p=$1
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
  fi
}

# A loopback port nobody listens on, below Linux's default ephemeral range (32768-60999) so that
# client sockets of the benchmark cannot take it, and distinct from the ports picked before.
free_port() {
  local p i used q
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 12000))
    used=0
    for q in "${BENCH_PORTS[@]+"${BENCH_PORTS[@]}"}"; do [ "$q" = "$p" ] && used=1; done
    [ "$used" = 1 ] && continue
    port_in_use "$p" && continue
    BENCH_PORTS+=("$p")
    echo "$p"
    return 0
  done
  die "found no free port"
}

# Builds the jar now (the launcher rebuilds when sources are newer than the jar), so that server
# start-up below is not racing a Maven build against its readiness deadline.
build_ours() {
  [ -x "$LAUNCHER" ] || die "launcher $LAUNCHER not found"
  command -v java >/dev/null 2>&1 || die "java not found (Java 17 required)"
  log "building/checking our server jar (bin/distributedcache --version)"
  if ! "$LAUNCHER" --version >"$BENCH_TMP/build.log" 2>&1; then
    tail -n 40 "$BENCH_TMP/build.log" >&2
    die "our server does not build; see above"
  fi
}

# start_ours PORT [extra server args...]: starts our server in the background; sets STARTED_PID.
# The launcher execs java, so the PID is the JVM's (VmRSS is read from it).
start_ours() {
  local port=$1
  shift
  local logf="$BENCH_TMP/ours-$port.log"
  "$LAUNCHER" server --port "$port" "$@" >"$logf" 2>&1 </dev/null &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  STARTED_LOG=$logf
}

# start_redis PORT: starts redis-server in the foreground mode, in the background; sets STARTED_PID.
start_redis() {
  local port=$1
  local logf="$BENCH_TMP/redis-$port.log"
  redis-server --save '' --appendonly no --port "$port" --bind 127.0.0.1 --daemonize no \
    >"$logf" 2>&1 </dev/null &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  STARTED_LOG=$logf
}

# wait_ping NAME PID PORT LOG DEADLINE_SECONDS: polls PING until PONG, failing if the process
# exits or the deadline passes.
wait_ping() {
  local name=$1 pid=$2 port=$3 logf=$4 deadline=$((SECONDS + $5)) reply
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$logf" >&2 || true
      die "$name (PID $pid) exited before answering PING on port $port"
    fi
    reply=$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null || true)
    [ "$reply" = PONG ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 40 "$logf" >&2 || true
      die "$name (PID $pid) did not answer PING on port $port within $5s"
    fi
    sleep 0.2
  done
}

cli() {
  local port=$1
  shift
  timeout 60 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# info_field PORT SECTION FIELD: one field of INFO, e.g. info_field 7000 memory used_memory.
info_field() {
  cli "$1" INFO "$2" | tr -d '\r' | awk -F: -v k="$3" '$1 == k { print $2; exit }'
}

rss_kib() {
  awk '/^VmRSS:/ { print $2; exit }' "/proc/$1/status"
}

machine_info_md() {
  local cpu
  cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
  [ -n "$cpu" ] || cpu=$(awk -F': *' '/^(Hardware|cpu model|Processor)/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
  echo "- nproc: $(nproc)"
  echo "- CPU: ${cpu:-unknown}"
  echo "- memory: $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- kernel: $(uname -srm)"
  echo "- java -version: $(java -version 2>&1 | tr '\n' ' ' | sed 's/ *$//')"
  echo "- redis-server --version: $(redis-server --version)"
  echo "- redis-benchmark --version: $(redis-benchmark --version 2>&1)"
  echo "- redis-cli --version: $(redis-cli --version)"
}

# The JVM's own command line (launcher defaults plus JAVA_OPTS), read from /proc.
jvm_cmdline() {
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed 's/ *$//'
}

quote_cmdline() {
  local out="" a
  for a in "$@"; do out+="$(printf '%q' "$a") "; done
  echo "${out% }"
}
