#!/usr/bin/env bash
# fuzz/run.sh BUILD_DIR SECONDS: runs every libFuzzer binary in BUILD_DIR/fuzz (a -DMCPGATE_FUZZ=ON
# build, `make build-fuzz`) for SECONDS each.
#
# libFuzzer writes new inputs into the first corpus directory it is given, so each fuzzer works
# in a scratch copy of fuzz/corpus/<target>/ and the checked-in seeds stay as they are. With
# MERGE=1, the inputs that add coverage are then merged back (-merge=1) into fuzz/corpus/<target>/.
# Crashes are written to BUILD_DIR/fuzz/artifacts/<target>/; turn each into a named corpus file
# and a fix. Exits non-zero when any fuzzer found a crash.
set -uo pipefail

build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS}
seconds=${2:-60}
root=$(cd "$(dirname "$0")" && pwd)
jobs=${FUZZ_JOBS:-1}

shopt -s nullglob
bins=("$build"/fuzz/*_fuzzer)
if [ ${#bins[@]} -eq 0 ]; then
  echo "fuzz/run.sh: no fuzzers in $build/fuzz (configure with -DMCPGATE_FUZZ=ON: make build-fuzz)" >&2
  exit 2
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
status=0
for bin in "${bins[@]}"; do
  name=$(basename "$bin" _fuzzer)
  seeds="$root/corpus/$name"
  work="$scratch/$name"
  artifacts="$build/fuzz/artifacts/$name"
  mkdir -p "$work" "$artifacts" "$seeds"
  cp -a "$seeds/." "$work/"
  dict=()
  if [ -f "$root/dict/$name.dict" ]; then
    dict=(-dict="$root/dict/$name.dict")
  fi
  echo "== $name: ${seconds}s (seeds: $(ls "$seeds" | wc -l))"
  parallel=()
  if [ "$jobs" -gt 1 ]; then
    parallel=(-jobs="$jobs" -workers="$jobs")  # libFuzzer then logs to fuzz-<n>.log
  fi
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict[@]}" "${parallel[@]}" "$work" >"$artifacts/last-run.log" 2>&1
  rc=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|peak_rss_mb|new_units_added)|SUMMARY|Test unit written' \
    "$artifacts/last-run.log" | sed 's/^/   /'
  if [ $rc -ne 0 ] || grep -qE 'Test unit written|==[0-9]+==ERROR|deadly signal' "$artifacts/last-run.log"; then
    echo "!! $name: crash, see $artifacts/" >&2
    status=1
  fi
  if [ "${MERGE:-0}" = 1 ]; then
    "$bin" -merge=1 "$seeds" "$work" >/dev/null 2>&1 && echo "   merged into $seeds ($(ls "$seeds" | wc -l) files)"
  fi
done
exit $status
