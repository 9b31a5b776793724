# Shell helpers shared by the end-to-end benchmark scripts (bench/*.sh source this file).

# True when something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# require_free_ports HINT PORT... — exits 2 naming the first busy port and how to pick others.
require_free_ports() {
  local hint=$1 p
  shift
  for p in "$@"; do
    if port_in_use "$p"; then
      echo "port $p is already in use; pick others with $hint" >&2
      exit 2
    fi
  done
}

# split_cpus PIN — sets cpus (nproc) and the arrays server_pin and loadgen_pin: the servers on the first half of
# the CPUs, the load generator on the rest, so the generator does not steal the servers' cores.
# Empty (no pinning) when PIN is 0, on one CPU, or without taskset.
split_cpus() {
  local half
  cpus=$(nproc)
  server_pin=()
  loadgen_pin=()
  if [[ $1 == 1 && $cpus -ge 2 ]] && command -v taskset >/dev/null; then
    half=$((cpus / 2))
    server_pin=(taskset -c "0-$((half - 1))")
    loadgen_pin=(taskset -c "$half-$((cpus - 1))")
  fi
}

# The request the tools/call benchmarks send (mcp_tools_call.sh, mcp_instructions.sh, oauth.sh):
# a stateless (2026-07-28) tools/call of the conformance tool set's `test_simple_text`, and the
# headers that era requires.
mcp_call_body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
mcp_call_headers=(-H 'Content-Type: application/json'
                  -H 'Accept: application/json, text/event-stream'
                  -H 'MCP-Protocol-Version: 2026-07-28'
                  -H 'Mcp-Method: tools/call'
                  -H 'Mcp-Name: test_simple_text')
