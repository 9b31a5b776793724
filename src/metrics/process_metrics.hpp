#pragma once
// The standard process_* metrics every Prometheus client exports, read from /proc/self when the
// registry renders (Linux only): resident and virtual memory, open and maximum file
// descriptors, start time and CPU time. A figure that cannot be read renders as NaN.

#include <optional>
#include <string_view>

namespace mcpgate::metrics {

class Registry;

void register_process_metrics(Registry& registry);

// Parsed /proc/self/stat fields, exposed for tests. `stat` is the file's text.
struct ProcStat {
  double cpu_seconds = 0;         // utime + stime
  double start_since_boot_s = 0;  // starttime
};

std::optional<ProcStat> parse_proc_stat(std::string_view stat, long clock_ticks_per_second);

}  // namespace mcpgate::metrics
