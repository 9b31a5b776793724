#!/usr/bin/env bash
# Start-up time and idle memory of `mcpgate serve --config examples/demo.yaml`.
#
# Each run starts the gateway and polls it every millisecond with a real MCP request (a stateless
# 2026-07-28 tools/list over one plain TCP connection, from bash builtins: no fork per poll)
# until the MCP endpoint answers: 200, or 401 when the config turns `auth:` on (the bearer guard
# has answered; the authorization server is up by then).
# Data directory: by default one directory is initialised by an untimed first start and reused
# by every timed run (a restart: keys and users exist). --fresh gives every run an empty one (a
# first start: the database is created, signing keys generated, demo users hashed with Argon2id).
#   start ms      launch of the process to that response (wall clock)
#   start CPU ms  CPU time the process used up to then, all threads, from
#                 /proc/PID/task/*/schedstat; a busy machine inflates it far less
# After an idle pause it reads VmRSS (idle RSS) and VmHWM (peak) from /proc/PID/status, then
# stops the gateway with SIGTERM. Prints every run and the medians.
# Targets: start-up < 100 ms, idle RSS < 30 MB.
#
# Usage: bench/startup_rss.sh [--mcpgate PATH] [--config PATH] [-r RUNS] [--port P] [--idle S] [--fresh]
#   defaults: build/release/mcpgate, examples/demo.yaml, 5 runs, port 18080, 1 s idle pause
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/.."

mcpgate=build/release/mcpgate
# The Makefile's location; a plain CMake build leaves the binary in src/app/.
[[ -x $mcpgate || ! -x build/release/src/app/mcpgate ]] || mcpgate=build/release/src/app/mcpgate
config=examples/demo.yaml
runs=5
port=18080
idle=1
fresh=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mcpgate) mcpgate=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    -r|--runs) runs=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -x $mcpgate ]] || { echo "not found or not executable: $mcpgate (build it first)" >&2; exit 2; }
[[ -r $config ]] || { echo "cannot read config $config" >&2; exit 2; }
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is already in use; pick another with --port" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-startup.XXXXXX")
pid=""
cleanup() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

body='{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
request=$'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:'"$port"$'\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/list\r\nConnection: close\r\nContent-Length: '"${#body}"$'\r\n\r\n'"$body"

# One request; true on an HTTP 200 status line.
probe() {
  local status_line=""
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%s' "$request" >&3
  IFS= read -r -t 2 status_line <&3 || true
  exec 3>&-
  [[ $status_line == "HTTP/1.1 200"* || $status_line == "HTTP/1.1 401"* ]]
}

# A sleep without forking `sleep` (a fork per poll costs more than the poll on a busy machine):
# read with a timeout from a pipe nobody writes to.
exec {idle_fd}<> <(:)
nap() { read -r -t "$1" -u "$idle_fd" _ || true; }

now_us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }
# CPU time (ns) the process has used so far, over all its threads: unlike wall-clock start-up,
# this hardly changes when other processes compete for the CPUs.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ t += $1 } END { print t + 0 }'; }
kib_field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
  if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'; }

starts=()
cpus=()
rss=()
hwm=()
echo "mcpgate start-up and idle memory: $runs runs of $mcpgate serve --config $config ($([[ $fresh == 1 ]] && echo "fresh data directory each run" || echo "restart on an initialised data directory"))"
if [[ $fresh == 0 ]]; then
  # The untimed first start that initialises the data directory.
  mkdir -p "$work/data"
  "$mcpgate" serve --config "$config" --listen "127.0.0.1:$port" --data "$work/data" >"$work/init.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 5000; i++)); do probe 2>/dev/null && break; nap 0.002; done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %12s %12s %12s %12s %8s\n' run "start ms" "start CPU ms" "idle RSS MB" "peak RSS MB" polls
for ((run = 1; run <= runs; run++)); do
  if [[ $fresh == 1 ]]; then
    rm -rf "$work/data"
  fi
  mkdir -p "$work/data"
  t0=$(now_us)
  "$mcpgate" serve --config "$config" --listen "127.0.0.1:$port" --data "$work/data" \
    >"$work/run$run.log" 2>&1 &
  pid=$!
  polls=0
  until probe 2>/dev/null; do
    polls=$((polls + 1))
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "mcpgate exited during start-up; log:" >&2
      cat "$work/run$run.log" >&2
      exit 1
    fi
    if ((polls > 5000)); then
      echo "no successful response within ~10 s; log:" >&2
      cat "$work/run$run.log" >&2
      exit 1
    fi
    nap 0.001
  done
  t1=$(now_us)
  c=$(cpu_ns "$pid")
  sleep "$idle"
  r=$(kib_field VmRSS "$pid")
  h=$(kib_field VmHWM "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  start_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
  rss_mb=$(awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }')
  hwm_mb=$(awk -v k="$h" 'BEGIN { printf "%.1f", k / 1024 }')
  cpu_ms=$(awk -v n="$c" 'BEGIN { printf "%.1f", n / 1e6 }')
  starts+=("$start_ms")
  cpus+=("$cpu_ms")
  rss+=("$rss_mb")
  hwm+=("$hwm_mb")
  printf '%-4s %12s %12s %12s %12s %8s\n' "$run" "$start_ms" "$cpu_ms" "$rss_mb" "$hwm_mb" "$polls"
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-4s %12s %12s %12s %12s\n' median "$(median "${starts[@]}")" "$(median "${cpus[@]}")" \
  "$(median "${rss[@]}")" "$(median "${hwm[@]}")"
echo "targets: start-up < 100 ms, idle RSS < 30 MB (1 MB = 1024 KiB)"
