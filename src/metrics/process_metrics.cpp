#include "metrics/process_metrics.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics/registry.hpp"

namespace mcpgate::metrics {
namespace {

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

long ticks_per_second() {
  const long t = ::sysconf(_SC_CLK_TCK);
  return t > 0 ? t : 100;
}

double page_size() {
  const long p = ::sysconf(_SC_PAGESIZE);
  return p > 0 ? static_cast<double>(p) : 4096.0;
}

// Field `index` (0-based) of the whitespace-separated `text`, as a number.
std::optional<double> field(std::string_view text, std::size_t index) {
  std::size_t pos = 0;
  for (std::size_t i = 0;; ++i) {
    pos = text.find_first_not_of(' ', pos);
    if (pos == std::string_view::npos) {
      return std::nullopt;
    }
    const std::size_t end = std::min(text.find_first_of(" \n", pos), text.size());
    if (i == index) {
      unsigned long long v = 0;
      const auto [p, ec] = std::from_chars(text.data() + pos, text.data() + end, v);
      if (ec != std::errc() || p != text.data() + end) {
        return std::nullopt;
      }
      return static_cast<double>(v);
    }
    pos = end;
  }
}

std::optional<ProcStat> read_proc_stat() {
  return parse_proc_stat(read_file("/proc/self/stat"), ticks_per_second());
}

double boot_time_s() {
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) {
      return field(line, 1).value_or(kUnknown);
    }
  }
  return kUnknown;
}

double statm_bytes(std::size_t index) {
  const auto pages = field(read_file("/proc/self/statm"), index);
  return pages ? *pages * page_size() : kUnknown;
}

double open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    return kUnknown;
  }
  double n = 0;
  // The directory's own descriptor exists only while we count: not one of the process's.
  const std::string own = std::to_string(::dirfd(dir));
  // readdir is safe on a DIR* no other thread sees.
  while (const dirent* e = ::readdir(dir)) {  // NOLINT(concurrency-mt-unsafe)
    if (e->d_name[0] != '.' && own != e->d_name) {
      n += 1;
    }
  }
  ::closedir(dir);
  return n;
}

double max_fds() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) {
    return kUnknown;
  }
  return static_cast<double>(lim.rlim_cur);
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view stat, long clock_ticks_per_second) {
  // The command name (field 2) is in parentheses and may itself hold spaces and ')': the
  // numeric fields start after the last ')'. Counting from field 3 (state) as 0, utime is 11,
  // stime 12 and starttime 19 (proc(5)).
  const std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos || clock_ticks_per_second <= 0) {
    return std::nullopt;
  }
  const std::string_view rest = stat.substr(close + 1);
  const auto utime = field(rest, 11);
  const auto stime = field(rest, 12);
  const auto start = field(rest, 19);
  if (!utime || !stime || !start) {
    return std::nullopt;
  }
  const auto hz = static_cast<double>(clock_ticks_per_second);
  return ProcStat{(*utime + *stime) / hz, *start / hz};
}

void register_process_metrics(Registry& registry) {
  // Fixed for the life of the process: computed once.
  const auto stat = read_proc_stat();
  const double start_time = stat ? boot_time_s() + stat->start_since_boot_s : kUnknown;

  registry.counter_fn("process_cpu_seconds_total",
                      "CPU time the process has used (user plus system), in seconds.",
                      [] {
                        const auto s = read_proc_stat();
                        return s ? s->cpu_seconds : kUnknown;
                      });
  registry.gauge_fn("process_start_time_seconds",
                    "When the process started, in seconds since the Unix epoch.",
                    [start_time] { return start_time; });
  registry.gauge_fn("process_resident_memory_bytes",
                    "Memory of the process held in RAM (resident set), in bytes.",
                    [] { return statm_bytes(1); });
  registry.gauge_fn("process_virtual_memory_bytes",
                    "Address space the process has mapped, in bytes.",
                    [] { return statm_bytes(0); });
  registry.gauge_fn(
      "process_open_fds", "File descriptors the process has open.", [] { return open_fds(); });
  registry.gauge_fn("process_max_fds",
                    "The limit on open file descriptors (RLIMIT_NOFILE, soft).",
                    [] { return max_fds(); });
}

}  // namespace mcpgate::metrics
