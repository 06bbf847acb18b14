#!/usr/bin/env bash
# Failover time: from `kill -9` of one node to the first successful write to a key of its slots,
# our 3-node cluster (replication factor 3, default settings) against Redis Cluster (3 masters,
# 3 replicas), with the same failure timeout, on this machine, in one run.
#
#   bench/failover-vs-redis.sh                        # 3 rounds, 1s failure timeout
#   bench/failover-vs-redis.sh --rounds 5 --node-timeout 2s
#   BENCH_BUILD_DIR=target-x bench/failover-vs-redis.sh   # our jar built in server/target-x
#
# See bench/README.md for what the numbers mean.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'EOF'
Usage: bench/failover-vs-redis.sh [options]

Starts our cluster (3 x `bin/distributedcache server`, replication factor 3) and a Redis Cluster
(6 x redis-server, `redis-cli --cluster create ... --cluster-replicas 1`), then in every round:

  ours   pick a victim (n1, n2, n3 in turn) and a key whose primary it is; SET it through a
         survivor; kill -9 the victim; SET the key through the survivor every 10 ms until OK;
         restart the victim with its data directory and wait until it is active again, caught up,
         and CLUSTER VERIFY reports ok.
  redis  the same with the master of shard 1, 2, 3 in turn (SET through another master, following
         -MOVED like redis-cli -c); restart the killed process (it rejoins as a replica) and wait
         for cluster_state:ok everywhere and every replica in sync.

It prints, per round, the milliseconds from the kill to the first OK and when the failure was
detected (from the servers' logs), the medians and the ratio ours/redis; saves it in
bench/results/failover-vs-redis-<date>.md.

Options:
  --rounds R          rounds (default 3)
  --node-timeout D    our --failure-timeout and Redis' --cluster-node-timeout (default 1s;
                      e.g. 500ms, 2s)
  --client C          how the timed SETs are sent: tcp (default: one persistent connection from
                      bash, no process per attempt) or redis-cli (one `redis-cli [-c]` process per
                      attempt; coarser: starting a process takes tens of ms on a loaded machine)
  --max-wait D        fail when writes do not succeed within D of a kill (default 30s)
  --no-markdown       do not write bench/results/failover-vs-redis-<date>.md
  -h, --help          this help

Environment:
  JAVA_OPTS           our JVM options (as for bin/distributedcache)
  BENCH_BUILD_DIR     build our server jar in server/<dir> (mvn -Dbuild.dir.name) instead of
                      running bin/distributedcache, which builds into server/target
  OURS_JAR            run this server jar (with JAVA_OPTS or the launcher's JVM defaults)
EOF
}

CMDLINE=$(quote_cmdline "$0" "$@")
ROUNDS=3
NODE_TIMEOUT=1s
CLIENT=tcp
MAX_WAIT=30s
MARKDOWN=1
RETRY_S=0.01

while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
    --node-timeout) NODE_TIMEOUT=${2:?--node-timeout needs a value}; shift 2 ;;
    --client) CLIENT=${2:?--client needs a value}; shift 2 ;;
    --max-wait) MAX_WAIT=${2:?--max-wait needs a value}; shift 2 ;;
    --no-markdown) MARKDOWN=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

is_uint "$ROUNDS" || die "--rounds must be a positive integer"
TIMEOUT_MS=$(duration_ms "$NODE_TIMEOUT") || die "bad --node-timeout: $NODE_TIMEOUT (e.g. 1s, 500ms)"
MAX_WAIT_MS=$(duration_ms "$MAX_WAIT") || die "bad --max-wait: $MAX_WAIT (e.g. 30s)"
case "$CLIENT" in tcp | redis-cli) ;; *) die "--client takes tcp or redis-cli" ;; esac
# Our server's duration syntax: whole milliseconds are always accepted.
OURS_TIMEOUT_ARG="${TIMEOUT_MS}ms"
[ "$NODE_TIMEOUT" = 1s ] && OURS_TIMEOUT_ARG=1s

bench_init
pause_s 0.001 # creates its FIFO now, not in the first timed retry
ensure_redis_tools
build_ours_jar
log "our server: ${OURS_CMD[*]}"

# qcli PORT ARGS...: one command with a short deadline, CRs removed; empty output when the node is
# down or slow (the callers poll).
qcli() {
  local port=$1
  shift
  timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null | tr -d '\r' || true
}

field() { awk -F: -v k="$1" '$1 == k { print $2; exit }'; }

# --- our cluster ---------------------------------------------------------------------------------

pick_free_ports 3 10000
OURS_BASE=$PICKED_BASE
OURS_MEMBERS="n1@127.0.0.1:$((OURS_BASE + 10000)),n2@127.0.0.1:$((OURS_BASE + 10001)),n3@127.0.0.1:$((OURS_BASE + 10002))"
declare -A OURS_PID OURS_LOG OURS_LIVES

ours_port() { echo $((OURS_BASE + $1 - 1)); }

# start_ours_node I: starts (or restarts, with the same data directory) node nI.
start_ours_node() {
  local i=$1 port
  port=$(ours_port "$i")
  OURS_LIVES[$i]=$((${OURS_LIVES[$i]:-0} + 1))
  mkdir -p "$BENCH_TMP/ours-n$i"
  start_ours_logged "$BENCH_TMP/ours-n$i.${OURS_LIVES[$i]}.log" \
    --node-id "n$i" --port "$port" --cluster-port $((port + 10000)) --members "$OURS_MEMBERS" \
    --data-dir "$BENCH_TMP/ours-n$i/data" --failure-timeout "$OURS_TIMEOUT_ARG"
  OURS_PID[$i]=$STARTED_PID
  OURS_LOG[$i]=$STARTED_LOG
}

# ours_steady: every node runs, has caught up, counts 3 active members and none failed, knows a
# Raft leader, and CLUSTER VERIFY reports no missing, stale or misplaced copy. Sets WHY otherwise.
ours_steady() {
  local i info
  for i in 1 2 3; do
    if ! kill -0 "${OURS_PID[$i]}" 2>/dev/null; then
      tail -n 40 "${OURS_LOG[$i]}" >&2 || true
      die "our node n$i (PID ${OURS_PID[$i]}) exited"
    fi
    grep -q 'Caught up' "${OURS_LOG[$i]}" || { WHY="n$i has not caught up"; return 1; }
    info=$(qcli "$(ours_port "$i")" CLUSTER INFO)
    [ "$(field dc_members_active <<<"$info")" = 3 ] || { WHY="n$i: dc_members_active=$(field dc_members_active <<<"$info")"; return 1; }
    [ "$(field dc_members_failed <<<"$info")" = 0 ] || { WHY="n$i: dc_members_failed=$(field dc_members_failed <<<"$info")"; return 1; }
    [ -n "$(field dc_raft_leader <<<"$info")" ] || { WHY="n$i knows no Raft leader"; return 1; }
  done
  info=$(qcli "$(ours_port 1)" CLUSTER VERIFY)
  [ "$(field verify_result <<<"$info")" = ok ] || { WHY="CLUSTER VERIFY: $(tr '\n' ' ' <<<"$info")"; return 1; }
}

wait_ours_steady() {
  local deadline=$((SECONDS + $1))
  WHY=""
  until ours_steady; do
    [ "$SECONDS" -ge "$deadline" ] && die "our cluster not steady within $1s: $WHY"
    sleep 0.5
  done
}

# --- Redis Cluster -------------------------------------------------------------------------------

pick_free_ports 6 10000
REDIS_BASE=$PICKED_BASE
REDIS_PORTS=()
for ((i = 0; i < 6; i++)); do REDIS_PORTS+=($((REDIS_BASE + i))); done
declare -A REDIS_PID REDIS_LOG REDIS_LIVES

# start_redis_node PORT: starts (or restarts, with the same cluster config file) one node; the log
# of a previous life is kept as redis-PORT.log.N.
start_redis_node() {
  local port=$1
  REDIS_LIVES[$port]=$((${REDIS_LIVES[$port]:-0} + 1))
  [ -f "$BENCH_TMP/redis-$port.log" ] && mv "$BENCH_TMP/redis-$port.log" "$BENCH_TMP/redis-$port.log.$((REDIS_LIVES[$port] - 1))"
  start_redis_with "$port" --cluster-enabled yes --cluster-node-timeout "$TIMEOUT_MS" \
    --cluster-config-file "$BENCH_TMP/redis-$port/nodes.conf"
  REDIS_PID[$port]=$STARTED_PID
  REDIS_LOG[$port]=$STARTED_LOG
}

# redis_steady: every node runs and says cluster_state:ok, sees 6 nodes with no fail flag, and
# there are 3 masters with one in-sync replica each. Sets WHY otherwise.
redis_steady() {
  local port info nodes masters=0 replicas=0
  for port in "${REDIS_PORTS[@]}"; do
    kill -0 "${REDIS_PID[$port]}" 2>/dev/null || die "redis-server on $port (PID ${REDIS_PID[$port]}) exited"
    info=$(qcli "$port" CLUSTER INFO)
    [ "$(field cluster_state <<<"$info")" = ok ] || { WHY="$port: cluster_state=$(field cluster_state <<<"$info")"; return 1; }
    nodes=$(qcli "$port" CLUSTER NODES)
    [ "$(grep -c . <<<"$nodes")" = 6 ] || { WHY="$port knows $(grep -c . <<<"$nodes") nodes"; return 1; }
    if awk '$3 ~ /fail/ || $8 != "connected" { bad = 1 } END { exit !bad }' <<<"$nodes"; then
      WHY="$port: $(awk '$3 ~ /fail/ || $8 != "connected" { print $2, $3, $8 }' <<<"$nodes" | tr '\n' ' ')"
      return 1
    fi
    info=$(qcli "$port" INFO replication)
    case "$(field role <<<"$info")" in
      master)
        masters=$((masters + 1))
        [ "$(field connected_slaves <<<"$info")" = 1 ] || { WHY="master $port has $(field connected_slaves <<<"$info") replicas"; return 1; }
        ;;
      slave)
        replicas=$((replicas + 1))
        [ "$(field master_link_status <<<"$info")" = up ] || { WHY="replica $port: link $(field master_link_status <<<"$info")"; return 1; }
        ;;
      *) WHY="$port: no role"; return 1 ;;
    esac
  done
  [ "$masters" = 3 ] && [ "$replicas" = 3 ] || { WHY="$masters masters, $replicas replicas"; return 1; }
}

wait_redis_steady() {
  local deadline=$((SECONDS + $1))
  WHY=""
  until redis_steady; do
    [ "$SECONDS" -ge "$deadline" ] && die "redis cluster not steady within $1s: $WHY"
    sleep 0.2
  done
}

# redis_shard_master K: the port of the master of the K-th shard (0-based, shards ordered by their
# first slot), from CLUSTER NODES of a live node.
redis_shard_master() {
  local port nodes
  for port in "${REDIS_PORTS[@]}"; do
    nodes=$(qcli "$port" CLUSTER NODES)
    [ -n "$nodes" ] && break
  done
  awk '$3 ~ /master/ && $3 !~ /fail/ && NF >= 9 { split($2, a, "[:@]"); split($9, s, "-"); print s[1], a[2] }' <<<"$nodes" |
    sort -n | awk -v k="$1" 'NR == k + 1 { print $2 }'
}

# --- one failover --------------------------------------------------------------------------------

# log_lines FILE...: "FILE:COUNT" for each, to read only what is logged after this point.
log_marks() {
  local f
  for f in "$@"; do echo "$f:$(wc -l <"$f")"; done
}

# first_after MARKS REGEX: the earliest time stamp (ms) of a line matching REGEX logged after MARKS
# (from log_marks) in any of those files; empty when there is none.
first_after() {
  local mark f n line t best=""
  while IFS= read -r mark; do
    f=${mark%:*} n=${mark##*:}
    line=$(tail -n +"$((n + 1))" "$f" | grep -m 1 -E "$2" || true)
    [ -n "$line" ] || continue
    t=$(log_time_ms "$line") || continue
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done <<<"$1"
  echo "$best"
}

# time_failover KIND VICTIM_PID PORT KEY VALUE: kills VICTIM_PID with SIGKILL and sends SET KEY
# VALUE through PORT every RETRY_S seconds until a reply is OK (KIND redis: following -MOVED, as
# redis-cli -c does; ours: a plain connection). Sets T_KILL (ms), OK_MS (kill to OK), ATTEMPTS and
# ERRORS (each error kind seen, with its count). Fails after MAX_WAIT.
time_failover() {
  local kind=$1 vpid=$2 port=$3 key=$4 value=$5 fd="" reply now kindword n
  local -A seen=()
  local -a order=()
  if [ "$CLIENT" = tcp ]; then
    resp_open "$port" || die "cannot connect to 127.0.0.1:$port"
    fd=$RESP_FD
  fi
  ATTEMPTS=0
  # Disowned, bash reaps it without printing "Killed" in the middle of the output.
  disown "$vpid" 2>/dev/null || true
  trap '' PIPE
  set_now_ms T_KILL
  kill -KILL "$vpid"
  while :; do
    ATTEMPTS=$((ATTEMPTS + 1))
    if [ "$CLIENT" = tcp ]; then
      if [ -z "$fd" ] && resp_open "$port"; then fd=$RESP_FD; fi
      if [ -z "$fd" ]; then
        reply="-NOCONNECT to $port"
      elif [ "$kind" = redis ] && resp_set_cluster "$fd" "$key" "$value" 5; then
        reply=$RESP_REPLY
      elif [ "$kind" = ours ] && resp_set "$fd" "$key" "$value" 5; then
        reply=$RESP_REPLY
      else
        reply="-NOREPLY: connection lost or no reply within 5s"
        resp_close "$fd"
        fd=""
      fi
      reply=${reply#[+-]}
    elif [ "$kind" = redis ]; then
      reply=$(timeout 5 redis-cli -c -h 127.0.0.1 -p "$port" SET "$key" "$value" 2>&1 | tr -d '\r' | head -n 1 || true)
    else
      reply=$(timeout 5 redis-cli -h 127.0.0.1 -p "$port" SET "$key" "$value" 2>&1 | tr -d '\r' | head -n 1 || true)
    fi
    set_now_ms now
    [ "$reply" = OK ] && break
    kindword=${reply%% *}
    kindword=${kindword:-(empty)}
    [[ $reply == "Could not connect"* ]] && kindword=NOCONNECT
    [ -n "${seen[$kindword]:-}" ] || order+=("$kindword")
    seen[$kindword]=$((${seen[$kindword]:-0} + 1))
    [ -n "${FIRST_REPLY[$kind: $kindword]:-}" ] || FIRST_REPLY[$kind: $kindword]=$reply
    if [ $((now - T_KILL)) -ge "$MAX_WAIT_MS" ]; then
      trap - PIPE
      die "$kind: no OK for SET $key through port $port within $MAX_WAIT of the kill; last reply: $reply"
    fi
    pause_s "$RETRY_S"
  done
  trap - PIPE
  [ -n "$fd" ] && resp_close "$fd"
  OK_MS=$((now - T_KILL))
  ERRORS=""
  for kindword in "${order[@]+"${order[@]}"}"; do ERRORS+="${ERRORS:+, }$kindword ×${seen[$kindword]}"; done
  ERRORS=${ERRORS:-none}
  for ((n = 0; n < 50; n++)); do kill -0 "$vpid" 2>/dev/null || break; pause_s 0.1; done
  kill -0 "$vpid" 2>/dev/null && die "PID $vpid still runs after SIGKILL"
  forget_pid "$vpid"
}
declare -A FIRST_REPLY

# since_kill MS: MS - T_KILL, or "?" when MS is empty.
since_kill() { if [ -n "$1" ]; then echo $(($1 - T_KILL)); else echo "?"; fi; }

RAW="$BENCH_TMP/rounds.tsv" # round, side, victim, ok ms, detected ms, promoted ms, attempts, errors, steady-again s
: >"$RAW"

ours_round() {
  local r=$1 v s vport sport key marks detected reply t0
  v=$(((r - 1) % 3 + 1))
  s=$((v % 3 + 1))
  vport=$(ours_port "$v")
  sport=$(ours_port "$s")
  wait_ours_steady 120
  key=$(pick_key_owned_by "$vport" "failover:ours:r$r") || die "no key of 200 has n$v as primary"
  reply=$(qcli "$sport" SET "$key" "before-$r")
  [ "$reply" = OK ] || die "ours: SET $key through n$s before the kill answered: $reply"
  marks=$(log_marks "${OURS_LOG[$(((v % 3) + 1))]}" "${OURS_LOG[$((((v + 1) % 3) + 1))]}")
  log "round $r, ours: kill -9 n$v (PID ${OURS_PID[$v]}), SET $key through n$s until OK"
  time_failover ours "${OURS_PID[$v]}" "$sport" "$key" "after-$r"
  detected=$(first_after "$marks" "Epoch [0-9]+: .*\\bn$v=failed")
  reply=$(qcli "$sport" GET "$key")
  [ "$reply" = "after-$r" ] || die "ours: GET $key through n$s after the failover answered: $reply"
  log "round $r, ours: OK after $OK_MS ms ($ATTEMPTS attempts; n$v marked failed at $(since_kill "$detected") ms; errors: $ERRORS)"
  t0=$SECONDS
  start_ours_node "$v"
  wait_ping "our node n$v" "${OURS_PID[$v]}" "$vport" "${OURS_LOG[$v]}" 120
  wait_ours_steady 180
  printf '%s\tours\tn%s\t%s\t%s\t-\t%s\t%s\t%s\n' "$r" "$v" "$OK_MS" "$(since_kill "$detected")" \
    "$ATTEMPTS" "$ERRORS" $((SECONDS - t0)) >>"$RAW"
}

redis_round() {
  local r=$1 vport sport key marks detected promoted reply t0 p
  wait_redis_steady 60
  vport=$(redis_shard_master $(((r - 1) % 3)))
  sport=$(redis_shard_master $((r % 3)))
  [ -n "$vport" ] && [ -n "$sport" ] || die "redis: cannot tell the shards' masters"
  key=$(pick_key_owned_by "$vport" "failover:redis:r$r") || die "no key of 200 is in the slots of $vport"
  reply=$(timeout 5 redis-cli -c -h 127.0.0.1 -p "$sport" SET "$key" "before-$r" 2>&1 | tr -d '\r')
  [ "$reply" = OK ] || die "redis: SET $key through $sport before the kill answered: $reply"
  marks=$(for p in "${REDIS_PORTS[@]}"; do [ "$p" = "$vport" ] || log_marks "${REDIS_LOG[$p]}"; done)
  log "round $r, redis: kill -9 master $vport (PID ${REDIS_PID[$vport]}), SET $key through master $sport until OK"
  time_failover redis "${REDIS_PID[$vport]}" "$sport" "$key" "after-$r"
  detected=$(first_after "$marks" "as failing \\(quorum reached\\)|FAIL message received")
  promoted=$(first_after "$marks" "Failover election won")
  reply=$(timeout 5 redis-cli -c -h 127.0.0.1 -p "$sport" GET "$key" 2>&1 | tr -d '\r')
  [ "$reply" = "after-$r" ] || die "redis: GET $key through $sport after the failover answered: $reply"
  log "round $r, redis: OK after $OK_MS ms ($ATTEMPTS attempts; FAIL at $(since_kill "$detected") ms, election won at $(since_kill "$promoted") ms; errors: $ERRORS)"
  t0=$SECONDS
  start_redis_node "$vport"
  wait_ping "redis-server $vport" "${REDIS_PID[$vport]}" "$vport" "${REDIS_LOG[$vport]}" 30
  wait_redis_steady 60
  printf '%s\tredis\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$vport" "$OK_MS" "$(since_kill "$detected")" \
    "$(since_kill "$promoted")" "$ATTEMPTS" "$ERRORS" $((SECONDS - t0)) >>"$RAW"
}

# --- run -----------------------------------------------------------------------------------------

log "starting our 3 nodes on 127.0.0.1:$OURS_BASE..$((OURS_BASE + 2)) (--failure-timeout $OURS_TIMEOUT_ARG)"
for i in 1 2 3; do start_ours_node "$i"; done
log "starting 6 redis-server on 127.0.0.1:$REDIS_BASE..$((REDIS_BASE + 5)) (--cluster-node-timeout $TIMEOUT_MS)"
for p in "${REDIS_PORTS[@]}"; do start_redis_node "$p"; done
for p in "${REDIS_PORTS[@]}"; do wait_ping "redis-server $p" "${REDIS_PID[$p]}" "$p" "${REDIS_LOG[$p]}" 30; done
create_args=()
for p in "${REDIS_PORTS[@]}"; do create_args+=("127.0.0.1:$p"); done
if ! run_child "$BENCH_TMP/redis-cluster-create.log" - timeout 120 redis-cli --cluster create \
  "${create_args[@]}" --cluster-replicas 1 --cluster-yes; then
  tail -n 40 "$BENCH_TMP/redis-cluster-create.log" >&2
  die "redis-cli --cluster create failed"
fi
for i in 1 2 3; do wait_ping "our node n$i" "${OURS_PID[$i]}" "$(ours_port "$i")" "${OURS_LOG[$i]}" 120; done
log "waiting for both clusters to settle"
wait_ours_steady 180
wait_redis_steady 60
OURS_JVM=$(jvm_cmdline "${OURS_PID[1]}")

for ((round = 1; round <= ROUNDS; round++)); do
  ours_round "$round"
  redis_round "$round"
done

# --- report --------------------------------------------------------------------------------------

# median SIDE FIELD: median over rounds of column FIELD of RAW for SIDE ("?" values skipped).
median() {
  awk -F'\t' -v s="$1" -v f="$2" '$2 == s && $f != "?" && $f != "-" { print $f }' "$RAW" |
    sort -n |
    awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "-"; exit }
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'
}
row() { awk -F'\t' -v r="$1" -v s="$2" -v f="$3" '$1 == r && $2 == s { print $f }' "$RAW"; }

table_md() {
  local r
  echo "| round | ours: victim | ours: kill → SET OK, ms | ours: marked failed at, ms | redis: victim | redis: kill → SET OK, ms | redis: FAIL at, ms | redis: election won at, ms | ours/redis |"
  echo "|---:|---|---:|---:|---|---:|---:|---:|---:|"
  for ((r = 1; r <= ROUNDS; r++)); do
    echo "| $r | $(row "$r" ours 3) | $(row "$r" ours 4) | $(row "$r" ours 5) | master :$(row "$r" redis 3) | $(row "$r" redis 4) | $(row "$r" redis 5) | $(row "$r" redis 6) | $(ratio "$(row "$r" ours 4)" "$(row "$r" redis 4)") |"
  done
  echo "| **median** | | **$(median ours 4)** | $(median ours 5) | | **$(median redis 4)** | $(median redis 5) | $(median redis 6) | **$(ratio "$(median ours 4)" "$(median redis 4)")** |"
}

details_md() {
  echo "| round | side | victim | attempts | errors before the OK | back to steady after restart, s |"
  echo "|---:|---|---|---:|---|---:|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $7, $8, $9 }' "$RAW"
}

SUMMARY="failure timeout $NODE_TIMEOUT (ours --failure-timeout $OURS_TIMEOUT_ARG, redis --cluster-node-timeout $TIMEOUT_MS); SET retried every $(awk -v s="$RETRY_S" 'BEGIN { print s * 1000 }') ms through a survivor (client: $CLIENT); $ROUNDS round(s)"
echo
table_md
echo
details_md
echo
echo "$SUMMARY. Times are from the kill; ours/redis below 1 means we accept writes again sooner."

if [ "$MARKDOWN" = 1 ]; then
  mkdir -p "$BENCH_DIR/results"
  STAMP=$(date +%Y-%m-%d-%H%M%S)
  MD="$BENCH_DIR/results/failover-vs-redis-$STAMP.md"
  {
    echo "# Failover: kill -9 to writes succeeding, DistributedCache vs Redis Cluster ($STAMP)"
    echo
    echo "Date: $(date -R)"
    echo
    echo "Command line: \`$CMDLINE\`"
    echo
    echo "$SUMMARY."
    echo
    table_md
    echo
    details_md
    echo
    echo "First reply of each error kind:"
    echo
    for k in "${!FIRST_REPLY[@]}"; do echo "- $k: \`${FIRST_REPLY[$k]}\`"; done
    echo
    echo "## Machine"
    echo
    machine_info_md
    echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "## Servers"
    echo
    echo "- ours: \`${OURS_CMD[*]} server --node-id nI --port P --cluster-port P+10000 --members $OURS_MEMBERS --data-dir ... --failure-timeout $OURS_TIMEOUT_ARG\`"
    echo "  - JVM command line: \`$OURS_JVM\`"
    echo "- redis: \`redis-server --save '' --appendonly no --port P --bind 127.0.0.1 --daemonize no --dir ... --cluster-enabled yes --cluster-node-timeout $TIMEOUT_MS --cluster-config-file .../nodes.conf\` x 6,"
    echo "  \`redis-cli --cluster create ${create_args[*]} --cluster-replicas 1 --cluster-yes\`"
  } >"$MD"
  echo "written: $MD"
fi

log "stopping servers"
for i in 1 2 3; do stop_pid "${OURS_PID[$i]}"; forget_pid "${OURS_PID[$i]}"; done
for p in "${REDIS_PORTS[@]}"; do stop_pid "${REDIS_PID[$p]}"; forget_pid "${REDIS_PID[$p]}"; done
exit 0
