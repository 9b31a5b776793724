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
