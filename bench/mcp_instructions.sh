#!/usr/bin/env bash
# bench/mcp_instructions.sh [--mcpgate BIN] [--hello BIN] [--loadgen BIN] [-d SECONDS] [-r RUNS]
#
# User-space instructions per tools/call request, mcpgate against the bare Beast server of
# bench/mcp_tools_call.sh, counted by valgrind's callgrind over the same request. Instruction
# counts do not depend on what else the machine runs, so this is the A/B measure to use on a
# busy or virtualised machine where req/s and CPU time swing by tens of per cent; it leaves out
# the kernel (the same system calls per request for both servers) and cache misses, so it
# complements bench/mcp_tools_call.sh, it does not replace it.
#
# Each server runs under callgrind pinned to CPU 0 (so mcpgate runs one I/O thread, as in
# mcp_tools_call.sh), instrumentation is switched on only while bench_loadgen sends the request
# for -d seconds over 8 connections, and the count is divided by the requests completed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

mcpgate=build/release/mcpgate
hello=build/release/bench/bench_hello_server
loadgen=build/release/bench/bench_loadgen
config=examples/conformance.yaml
duration=6
runs=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mcpgate) mcpgate=$2; shift 2 ;;
    --hello) hello=$2; shift 2 ;;
    --loadgen) loadgen=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    -d|--duration) duration=$2; shift 2 ;;
    -r|--runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v valgrind >/dev/null || { echo "valgrind is not installed (scripts/install-deps installs it)" >&2; exit 2; }
for exe in "$mcpgate" "$hello" "$loadgen"; do
  [[ -x $exe ]] || { echo "not found or not executable: $exe (build it first)" >&2; exit 2; }
done


work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-instr.XXXXXX")
pid=""
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

source "$here/lib/common.sh"
body=$mcp_call_body
headers=("${mcp_call_headers[@]}")
free_port() {  # a port nothing listens on, from the top of the ephemeral-free range
  local p
  for ((p = 18400 + RANDOM % 400; ; p++)); do
    port_in_use "$p" || { echo "$p"; return; }
  done
}

measure() {  # target -> prints instructions per request
  local target=$1 port out n ir file
  port=$(free_port)
  rm -f "$work"/cg.out*
  if [[ $target == bare ]]; then
    taskset -c 0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.out" \
      "$hello" --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  else
    mkdir -p "$work/data"
    taskset -c 0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.out" \
      "$mcpgate" serve --config "$config" --listen "127.0.0.1:$port" --data "$work/data" \
      >"$work/server.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 200); do
    port_in_use "$port" && break
    sleep 0.1
  done
  callgrind_control -i on "$pid" >/dev/null 2>&1
  out=$("$loadgen" --url "http://127.0.0.1:$port/mcp" -c 8 -w 0 -d "$duration" --body "$body" \
    "${headers[@]}" --expect-body '"result"' --json)
  callgrind_control -i off "$pid" >/dev/null 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  n=$(sed -n 's/.*"completed_total":\([0-9]*\).*/\1/p' <<<"$out")
  file=$(ls -S "$work"/cg.out* | head -1)
  ir=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
  if [[ -z $n || $n == 0 || -z $ir ]]; then
    echo "no requests measured for $target; server log:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  echo $((ir / n))
}

echo "instructions per tools/call (callgrind, ${duration}s x 8 connections, load $(cut -d' ' -f1-3 /proc/loadavg))"
for ((run = 1; run <= runs; run++)); do
  bare=$(measure bare)
  mcp=$(measure mcp)
  awk -v r="$run" -v b="$bare" -v m="$mcp" \
    'BEGIN { printf "run %d: bare %d  mcp %d  mcp/bare %.2f\n", r, b, m, m / b }'
done
