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
is_uint() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }

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
  start_redis_with "$1"
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

# --- Added for cluster-vs-redis.sh -----------------------------------------------------------

# pick_free_ports COUNT [OFFSET]: sets PICKED_BASE to a port P such that P..P+COUNT-1 and, when
# OFFSET is given, P+OFFSET..P+OFFSET+COUNT-1 are all free and distinct from the ports picked
# before (all of them are remembered in BENCH_PORTS). Not meant for $(...): a subshell would lose
# BENCH_PORTS. Every port stays below Linux's ephemeral range (32768), so client sockets of the
# benchmark cannot take one between picking and listening.
pick_free_ports() {
  local count=$1 offset=${2:-} p i j q used top
  top=$((32768 - count - ${offset:-0}))
  [ "$top" -gt 20000 ] || die "pick_free_ports: no room below 32768 for $count ports at offset ${offset:-0}"
  for ((i = 0; i < 300; i++)); do
    p=$((20000 + RANDOM % (top - 20000)))
    used=0
    for ((j = 0; j < count && used == 0; j++)); do
      for q in $((p + j)) ${offset:+$((p + offset + j))}; do
        if [[ " ${BENCH_PORTS[*]-} " == *" $q "* ]] || port_in_use "$q"; then
          used=1
          break
        fi
      done
    done
    [ "$used" = 1 ] && continue
    for ((j = 0; j < count; j++)); do
      BENCH_PORTS+=($((p + j)))
      [ -n "$offset" ] && BENCH_PORTS+=($((p + offset + j)))
    done
    PICKED_BASE=$p
    return 0
  done
  die "found no block of $count free ports"
}

# start_redis_with PORT [redis-server args...]: like start_redis, with extra arguments (e.g.
# --replicaof HOST PORT) and a working directory of its own under BENCH_TMP, so that a replica's
# sync file never lands in the caller's directory. Sets STARTED_PID and STARTED_LOG.
start_redis_with() {
  local port=$1
  shift
  local logf="$BENCH_TMP/redis-$port.log" dir="$BENCH_TMP/redis-$port"
  mkdir -p "$dir"
  redis-server --save '' --appendonly no --port "$port" --bind 127.0.0.1 --daemonize no \
    --dir "$dir" "$@" >"$logf" 2>&1 </dev/null &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  STARTED_LOG=$logf
}

# wait_redis_replica PRIMARY_PORT REPLICA_PORT REPLICA_PID DEADLINE_SECONDS: polls until the
# replica reports master_link_status:up and the primary counts it as an online replica.
wait_redis_replica() {
  local pport=$1 rport=$2 rpid=$3 deadline=$((SECONDS + $4)) link online
  while :; do
    kill -0 "$rpid" 2>/dev/null || die "redis replica (PID $rpid) exited"
    link=$(info_field "$rport" replication master_link_status 2>/dev/null || true)
    online=$(cli "$pport" INFO replication 2>/dev/null | tr -d '\r' | grep -c '^slave[0-9]*:.*state=online' || true)
    [ "$link" = up ] && [ "${online:-0}" -ge 1 ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && die "redis replica on $rport not in sync with $pport within $4s (link: ${link:-?})"
    sleep 0.2
  done
}

# start_local_cluster NODES BASE_PORT [extra args...]: starts
# `bin/distributedcache local-cluster --nodes NODES --base-port BASE_PORT ...` in the background
# (client ports BASE_PORT .. BASE_PORT+NODES-1); sets STARTED_PID (the launcher execs java, so it
# is the JVM that owns the nodes) and STARTED_LOG.
start_local_cluster() {
  local nodes=$1 base=$2
  shift 2
  local logf="$BENCH_TMP/cluster-$base.log"
  "$LAUNCHER" local-cluster --nodes "$nodes" --base-port "$base" "$@" >"$logf" 2>&1 </dev/null &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  STARTED_LOG=$logf
}

# wait_log_lines NAME PID LOG REGEX COUNT DEADLINE_SECONDS: polls until LOG has COUNT lines
# matching REGEX (grep -E), failing if PID exits first or the deadline passes.
wait_log_lines() {
  local name=$1 pid=$2 logf=$3 regex=$4 count=$5 deadline=$((SECONDS + $6)) n
  while :; do
    n=$(grep -cE "$regex" "$logf" 2>/dev/null || true)
    [ "${n:-0}" -ge "$count" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$logf" >&2 || true
      die "$name (PID $pid) exited after ${n:-0} of $count lines matching '$regex'"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 40 "$logf" >&2 || true
      die "$name (PID $pid): ${n:-0} of $count lines matching '$regex' after $6s"
    fi
    sleep 0.2
  done
}

# build_loadgen: sets LOADGEN_JAR to the load generator's runnable jar, building it with Maven
# when it is missing or older than its sources. LOADGEN_JAR set by the caller is used as is;
# BENCH_BUILD_DIR (default target) is the Maven build directory name (-Dbuild.dir.name).
build_loadgen() {
  command -v java >/dev/null 2>&1 || die "java not found (Java 17 required)"
  if [ -n "${LOADGEN_JAR:-}" ]; then
    [ -f "$LOADGEN_JAR" ] || die "LOADGEN_JAR=$LOADGEN_JAR does not exist"
    return 0
  fi
  local dir="$ROOT/benchmarks/${BENCH_BUILD_DIR:-target}" jar=""
  jar=$(ls -t "$dir"/distributedcache-benchmarks-*-all.jar 2>/dev/null | head -n 1 || true)
  if [ -z "$jar" ] ||
    [ -n "$(find "$ROOT/benchmarks/src/main" "$ROOT/benchmarks/pom.xml" "$ROOT/pom.xml" -newer "$jar" -type f -print -quit 2>/dev/null)" ]; then
    command -v mvn >/dev/null 2>&1 || die "mvn not found (needed to build the load generator)"
    log "building the load generator (mvn -pl benchmarks -am package, build dir ${BENCH_BUILD_DIR:-target})"
    if ! (cd "$ROOT" && mvn -q -B -DskipTests -Dbuild.dir.name="${BENCH_BUILD_DIR:-target}" \
      -pl benchmarks -am package) >"$BENCH_TMP/build-loadgen.log" 2>&1; then
      tail -n 40 "$BENCH_TMP/build-loadgen.log" >&2
      die "the load generator does not build; see above"
    fi
    jar=$(ls -t "$dir"/distributedcache-benchmarks-*-all.jar 2>/dev/null | head -n 1 || true)
    [ -n "$jar" ] || die "no distributedcache-benchmarks-*-all.jar in $dir after the build"
  fi
  LOADGEN_JAR=$jar
}

# json_number FILE KEY: a numeric (or null) field of the load generator's one-line JSON.
json_number() {
  grep -o "\"$2\":[^,}]*" "$1" | head -n 1 | cut -d: -f2
}

# duration_seconds TEXT: the load generator's duration syntax (10s, 500ms, 1.5s, 2m, 1h, or a bare
# number of seconds) as whole seconds, rounded up; fails on anything else.
duration_seconds() {
  awk -v t="$1" 'BEGIN {
    if (match(t, /^[0-9]+(\.[0-9]+)?/) == 0) exit 1
    n = substr(t, 1, RLENGTH); u = substr(t, RLENGTH + 1)
    if (u == "" || u == "s") f = 1; else if (u == "ms") f = 0.001; else if (u == "m") f = 60;
    else if (u == "h") f = 3600; else exit 1
    s = n * f; c = int(s); if (c < s) c++; print c
  }'
}

# --- Added for failover-vs-redis.sh ----------------------------------------------------------

# duration_ms TEXT: a duration (500ms, 1s, 1.5s, 2m, or a bare number of seconds) in whole
# milliseconds, rounded up; fails on anything else or on zero.
duration_ms() {
  awk -v t="$1" 'BEGIN {
    if (match(t, /^[0-9]+(\.[0-9]+)?/) == 0) exit 1
    n = substr(t, 1, RLENGTH); u = substr(t, RLENGTH + 1)
    if (u == "" || u == "s") f = 1000; else if (u == "ms") f = 1; else if (u == "m") f = 60000;
    else exit 1
    s = n * f; c = int(s); if (c < s) c++; if (c <= 0) exit 1; print c
  }'
}

# set_now_ms VAR: sets VAR to the wall-clock time in milliseconds since the epoch. Uses bash's
# EPOCHREALTIME when there is one: no process start, which on a loaded machine costs more than
# the resolution we want (date +%s%N took 14 ms here). Not $(...): that forks too.
set_now_ms() {
  local t=${EPOCHREALTIME:-}
  if [ -n "$t" ]; then
    local s=${t%[.,]*} f=${t#*[.,]}
    printf -v "$1" '%s%s' "$s" "${f:0:3}"
  else
    printf -v "$1" '%s' "$(($(date +%s%N) / 1000000))"
  fi
}

# log_time_ms LINE: the time stamp at the start of one of our log lines
# (2026-11-26T16:16:48.841Z ...) or of a redis-server log line (1234:M 26 Nov 2026 16:16:48.841 * ...)
# in milliseconds since the epoch; fails when LINE has neither.
log_time_ms() {
  local line=$1 stamp=""
  if [[ $line =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z) ]]; then
    stamp=${BASH_REMATCH[1]}
  elif [[ $line =~ ^[0-9]+:[A-Z]\ ([0-9]{1,2}\ [A-Za-z]{3}\ [0-9]{4}\ [0-9:.]+) ]]; then
    stamp=${BASH_REMATCH[1]}
  fi
  [ -n "$stamp" ] || return 1
  date -d "$stamp" +%s%3N
}

# build_ours_jar: sets OURS_CMD (an array) to the command that runs our server. OURS_JAR set by the
# caller is run as is. Else, with BENCH_BUILD_DIR set, server/<BENCH_BUILD_DIR>/...-all.jar is built
# with Maven when missing or older than the sources, so that the benchmark neither builds into nor
# waits for the shared target/ directory other builds use; it runs with the launcher's JVM options
# (JAVA_OPTS, else the launcher's defaults, read from the launcher). Else the launcher itself
# (build_ours).
build_ours_jar() {
  local jvm_defaults
  if [ -z "${OURS_JAR:-}" ] && [ -n "${BENCH_BUILD_DIR:-}" ] && [ -z "${DISTRIBUTEDCACHE_LAUNCHER:-}" ]; then
    command -v java >/dev/null 2>&1 || die "java not found (Java 17 required)"
    OURS_JAR="$ROOT/server/$BENCH_BUILD_DIR/distributedcache-server-0.1.0-SNAPSHOT-all.jar"
    if [ ! -f "$OURS_JAR" ] ||
      [ -n "$(find "$ROOT" -path '*/src/main/*' -newer "$OURS_JAR" -type f -print -quit 2>/dev/null)" ] ||
      [ -n "$(find "$ROOT" -name pom.xml -newer "$OURS_JAR" -print -quit 2>/dev/null)" ]; then
      command -v mvn >/dev/null 2>&1 || die "mvn not found (needed to build our server)"
      log "building our server (mvn -pl server -am package, build dir $BENCH_BUILD_DIR)"
      if ! (cd "$ROOT" && mvn -q -B -DskipTests -Dbuild.dir.name="$BENCH_BUILD_DIR" \
        -pl server -am package) >"$BENCH_TMP/build.log" 2>&1; then
        tail -n 40 "$BENCH_TMP/build.log" >&2
        die "our server does not build; see above"
      fi
      [ -f "$OURS_JAR" ] || die "no $OURS_JAR after the build"
    fi
  fi
  if [ -n "${OURS_JAR:-}" ]; then
    [ -f "$OURS_JAR" ] || die "OURS_JAR=$OURS_JAR does not exist"
    jvm_defaults=$(sed -n 's/^exec java \${JAVA_OPTS:-\([^}]*\)}.*/\1/p' "$ROOT/bin/distributedcache")
    [ -n "$jvm_defaults" ] || die "could not read the JVM defaults from bin/distributedcache"
    local -a jvm
    read -r -a jvm <<<"${JAVA_OPTS:-$jvm_defaults}"
    OURS_CMD=(java "${jvm[@]}" -jar "$OURS_JAR")
  else
    build_ours
    OURS_CMD=("$LAUNCHER")
  fi
}

# start_ours_logged LOG [server args...]: starts `OURS_CMD server ARGS` in the background with its
# output in LOG (build_ours_jar first); sets STARTED_PID (the JVM's: java directly, or the launcher
# that execs it) and STARTED_LOG. Unlike start_ours, the caller names the log, so that a node
# restarted on the same port keeps the log of its previous life.
start_ours_logged() {
  local logf=$1
  shift
  "${OURS_CMD[@]}" server "$@" >"$logf" 2>&1 </dev/null &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  STARTED_LOG=$logf
}

# kill9 PID: SIGKILL, reaped, and forgotten by bench_cleanup.
kill9() {
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

# pick_key_owned_by PORT PREFIX: prints the first of PREFIX:0 .. PREFIX:199 whose primary is the
# node on PORT: the one it answers SET with OK on a READWRITE connection (others get -MOVED, from
# redis-server and from our nodes alike). Those SETs write the key; fails when none is owned.
pick_key_owned_by() {
  local port=$1 prefix=$2 i n
  n=$({
    echo READWRITE
    for ((i = 0; i < 200; i++)); do echo "SET $prefix:$i picked"; done
  } | cli "$port" | tr -d '\r' | grep -v '^$' |
    awk 'NR == 1 && $0 != "OK" { exit } NR > 1 && $0 == "OK" { print NR - 2; exit }')
  [ -n "$n" ] || return 1
  echo "$prefix:$n"
}

# resp_open PORT [HOST]: opens a TCP connection to HOST (default 127.0.0.1):PORT in this shell; sets
# RESP_FD. Returns 1, quietly, when nothing listens.
resp_open() {
  { exec {RESP_FD}<>"/dev/tcp/${2:-127.0.0.1}/$1"; } 2>/dev/null
}

# resp_close FD: closes a connection resp_open opened.
resp_close() {
  local fd=$1
  { exec {fd}>&-; } 2>/dev/null || true
}

# resp_set FD KEY VALUE TIMEOUT_S: sends SET KEY VALUE on FD and sets RESP_REPLY to the reply line
# without CRLF. Returns 1 (connection unusable: closed, or no reply within TIMEOUT_S, after which
# a late reply would be mistaken for the next one) or 0. Needs SIGPIPE ignored (trap '' PIPE):
# a write to a connection the peer closed would kill the shell otherwise.
resp_set() {
  local fd=$1 key=$2 value=$3 request
  RESP_REPLY=""
  # One write: printf with a format writes each piece separately, and the second small segment
  # then waits for the server's delayed ACK (Nagle), about 40 ms per command.
  printf -v request '*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' "${#key}" "$key" "${#value}" "$value"
  printf '%s' "$request" >&"$fd" 2>/dev/null || return 1
  IFS= read -r -t "$4" -u "$fd" RESP_REPLY 2>/dev/null || return 1
  RESP_REPLY=${RESP_REPLY%$'\r'}
}

# resp_set_cluster FD KEY VALUE TIMEOUT_S: resp_set, then, on -MOVED slot host:port, the same SET
# once on a new connection to host:port (as `redis-cli -c` does; the connection is closed after).
# RESP_REPLY is the last reply; returns 1 when FD itself is unusable.
resp_set_cluster() {
  local target host port
  resp_set "$@" || return 1
  if [[ $RESP_REPLY =~ ^-MOVED\ [0-9]+\ ([^:]+):([0-9]+)$ ]]; then
    host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
    if resp_open "$port" "$host"; then
      target=$RESP_FD
      resp_set "$target" "$2" "$3" "$4" || RESP_REPLY="-NOREPLY from $host:$port after -MOVED"
      resp_close "$target"
    else
      RESP_REPLY="-NOCONNECT to $host:$port after -MOVED"
    fi
  fi
  return 0
}

# pause_s SECONDS: sleeps (fractions allowed) without starting a process, by waiting for input on a
# FIFO under BENCH_TMP that nobody writes to; a sleep process costs 10+ ms on a loaded machine.
pause_s() {
  if [ -z "${PAUSE_FD:-}" ]; then
    mkfifo "$BENCH_TMP/pause.fifo"
    exec {PAUSE_FD}<>"$BENCH_TMP/pause.fifo"
  fi
  read -r -t "$1" -u "$PAUSE_FD" _ || true
}
