#!/usr/bin/env bash
# tools/call throughput and latency through mcpgate, against a bare Beast server in the same run.
#
# Starts two servers side by side:
#   bare  bench_hello_server: answers every POST with a fixed JSON body (same threading model)
#   mcp   mcpgate serve --config examples/conformance.yaml: a stateless (2026-07-28) tools/call of
#         `test_simple_text`, the conformance suite's fixed-text tool
# then drives each with bench_loadgen (closed loop, C keep-alive connections, W s warm-up, D s
# measured), R runs per target alternating bare/mcp (the order flips every run so slow drift of a
# noisy machine hits both), and prints every run, the medians and the throughput ratio mcp/bare.
# Target: the MCP path reaches >= 60 % of the bare server's throughput.
#
# It builds nothing. Build first (`make build`, or cmake -DCMAKE_BUILD_TYPE=Release with benches on).
#
# Usage: bench/mcp_tools_call.sh [options]
#   --mcpgate PATH     gateway binary            (default build/release/mcpgate)
#   --hello PATH       bare server binary        (default build/release/bench/bench_hello_server)
#   --loadgen PATH     load generator binary     (default build/release/bench/bench_loadgen)
#   --config PATH      gateway config            (default examples/conformance.yaml)
#   -r, --runs R       runs per target           (default 5)
#   -d, --duration D   measured seconds per run  (default 10)
#   -w, --warmup W     warm-up seconds per run   (default 2)
#   -c, --connections C                          (default 32)
#   --bare-port P, --mcp-port P                  (default 18081, 18090)
#   --no-pin           do not pin servers and generator to separate CPUs
#   --out FILE         also append every run's JSON (one object per line) to FILE
#   --self-test        use bench_hello_server on the "mcp" side too (checks the harness; the
#                      ratio should be ~1.0)
# Environment: BENCH_TARGET_RATIO (default 0.60).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

mcpgate=build/release/mcpgate
# The Makefile's location; a plain CMake build leaves the binary in src/app/.
[[ -x $mcpgate || ! -x build/release/src/app/mcpgate ]] || mcpgate=build/release/src/app/mcpgate
hello=build/release/bench/bench_hello_server
loadgen=build/release/bench/bench_loadgen
config=examples/conformance.yaml
runs=5
duration=10
warmup=2
connections=32
bare_port=18081
mcp_port=18090
pin=1
out=""
self_test=0
target_ratio=${BENCH_TARGET_RATIO:-0.60}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mcpgate) mcpgate=$2; shift 2 ;;
    --hello) hello=$2; shift 2 ;;
    --loadgen) loadgen=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    -r|--runs) runs=$2; shift 2 ;;
    -d|--duration) duration=$2; shift 2 ;;
    -w|--warmup) warmup=$2; shift 2 ;;
    -c|--connections) connections=$2; shift 2 ;;
    --bare-port) bare_port=$2; shift 2 ;;
    --mcp-port) mcp_port=$2; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --out) out=$2; shift 2 ;;
    --self-test) self_test=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

need_exe() { [[ -x $1 ]] || { echo "not found or not executable: $1 (build it first)" >&2; exit 2; }; }
need_exe "$hello"
need_exe "$loadgen"
if [[ $self_test == 0 ]]; then
  need_exe "$mcpgate"
  [[ -r $config ]] || { echo "cannot read config $config" >&2; exit 2; }
fi

require_free_ports "--bare-port/--mcp-port" "$bare_port" "$mcp_port"

# CPU split: servers on the first half of the CPUs this script may use, the generator on the rest.
split_cpus "$pin"

work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-bench.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

wait_for_port() {  # port pid log
  local i
  for ((i = 0; i < 500; i++)); do
    if ! kill -0 "$2" 2>/dev/null; then
      echo "server exited during start-up; its log ($3):" >&2
      cat "$3" >&2
      exit 1
    fi
    port_in_use "$1" && return 0
    sleep 0.01
  done
  echo "server did not listen on port $1 within 5 s; log:" >&2
  cat "$3" >&2
  exit 1
}

# The request both targets receive (the bare server ignores it).
body=$mcp_call_body  # bench/lib/common.sh
headers=("${mcp_call_headers[@]}")

"${server_pin[@]}" "$hello" --listen "127.0.0.1:$bare_port" >"$work/bare.log" 2>&1 &
pids+=($!)
wait_for_port "$bare_port" "${pids[-1]}" "$work/bare.log"
if [[ $self_test == 1 ]]; then
  "${server_pin[@]}" "$hello" --listen "127.0.0.1:$mcp_port" >"$work/mcp.log" 2>&1 &
else
  mkdir -p "$work/data"
  "${server_pin[@]}" "$mcpgate" serve --config "$config" --listen "127.0.0.1:$mcp_port" \
    --data "$work/data" >"$work/mcp.log" 2>&1 &
fi
pids+=($!)
wait_for_port "$mcp_port" "${pids[-1]}" "$work/mcp.log"

# CPU time (user + system, in clock ticks) a server has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
clk_tck=$(getconf CLK_TCK)
declare -A pid_of=([bare]=${pids[0]} [mcp]=${pids[1]})

url_of() { if [[ $1 == bare ]]; then echo "http://127.0.0.1:$bare_port/mcp"; else echo "http://127.0.0.1:$mcp_port/mcp"; fi; }

# One request per target first: a failing tools/call must stop the benchmark, not be measured.
for target in bare mcp; do
  if ! check=$("${loadgen_pin[@]}" "$loadgen" --url "$(url_of "$target")" -c 1 -w 0 -d 0.2 \
      --body "$body" "${headers[@]}" --expect-body '"result"' --json); then
    echo "sanity check of $target failed: $check" >&2
    echo "server log:" >&2
    cat "$work/$target.log" >&2
    exit 1
  fi
done

field() { sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
  if (NR == 0) { print "nan"; exit }
  if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'; }

declare -A rps p50 p90 p99 p999 cpu
echo "mcpgate tools/call benchmark: $runs runs x ${duration}s (+${warmup}s warm-up), $connections connections"
echo "cpus: $cpus; servers: ${server_pin[*]:-unpinned}; load generator: ${loadgen_pin[*]:-unpinned}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
[[ $self_test == 1 ]] && echo "SELF-TEST: both targets are bench_hello_server"
printf '%-4s %-5s %10s %9s %9s %9s %9s %10s %7s\n' run target "req/s" "p50 us" "p90 us" "p99 us" \
  "p99.9 us" "cpu us/req" errors
for ((run = 1; run <= runs; run++)); do
  if ((run % 2)); then order=(bare mcp); else order=(mcp bare); fi
  for target in "${order[@]}"; do
    ticks_before=$(cpu_ticks "${pid_of[$target]}")
    set +e
    line=$("${loadgen_pin[@]}" "$loadgen" --url "$(url_of "$target")" -c "$connections" -w "$warmup" \
      -d "$duration" --body "$body" "${headers[@]}" --expect-body '"result"' --label "$target" --json)
    status=$?
    set -e
    ticks_after=$(cpu_ticks "${pid_of[$target]}")
    if [[ -z $line ]]; then
      echo "load generator failed on $target (exit $status)" >&2
      exit 1
    fi
    [[ -n $out ]] && echo "$line" >>"$out"
    errors=$(( $(field status "$line") + $(field body "$line") + $(field io "$line") ))
    rps[$target]+="$(field rps "$line") "
    p50[$target]+="$(field p50 "$line") "
    p90[$target]+="$(field p90 "$line") "
    p99[$target]+="$(field p99 "$line") "
    p999[$target]+="$(field p999 "$line") "
    # Server CPU per request over the whole run (warm-up included): independent of how much CPU
    # the server got, so it stays meaningful on a busy machine where req/s does not.
    cpu_us=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$clk_tck" -v n="$(field completed_total "$line")" \
      'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
    cpu[$target]+="$cpu_us "
    printf '%-4s %-5s %10.0f %9.1f %9.1f %9.1f %9.1f %10.1f %7d\n' "$run" "$target" "$(field rps "$line")" \
      "$(field p50 "$line")" "$(field p90 "$line")" "$(field p99 "$line")" "$(field p999 "$line")" \
      "$cpu_us" "$errors"
  done
done

echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "medians over $runs runs:"
for target in bare mcp; do
  # shellcheck disable=SC2086  # word splitting of the space-separated lists is intended
  printf '%-10s %-5s %10.0f %9.1f %9.1f %9.1f %9.1f %10.1f\n' median "$target" "$(median ${rps[$target]})" \
    "$(median ${p50[$target]})" "$(median ${p90[$target]})" "$(median ${p99[$target]})" \
    "$(median ${p999[$target]})" "$(median ${cpu[$target]})"
done
# shellcheck disable=SC2086
ratio=$(awk -v m="$(median ${rps[mcp]})" -v b="$(median ${rps[bare]})" 'BEGIN { printf "%.3f", m / b }')
verdict=$(awk -v r="$ratio" -v t="$target_ratio" 'BEGIN { print ((r >= t) ? "meets" : "BELOW") }')
# shellcheck disable=SC2086
cpu_ratio=$(awk -v m="$(median ${cpu[mcp]})" -v b="$(median ${cpu[bare]})" 'BEGIN { printf "%.3f", (m > 0 ? b / m : 0) }')
echo
echo "throughput ratio mcp/bare (medians): $ratio  ($verdict the target of $target_ratio)"
echo "server CPU per request, bare/mcp (medians): $cpu_ratio  (the throughput ratio if both were CPU-bound on equal CPU)"
