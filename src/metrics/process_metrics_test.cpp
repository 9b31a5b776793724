#include "metrics/process_metrics.hpp"

#include <gtest/gtest.h>

#include "metrics/registry.hpp"

namespace mcpgate::metrics {
namespace {

TEST(ProcStatTest, ReadsFieldsAfterTheCommandName) {
  // A command name with spaces and parentheses must not shift the fields.
  const std::string stat =
      "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 8 0 "
      "123456 1000000 500 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto s = parse_proc_stat(stat, 100);
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);
  EXPECT_DOUBLE_EQ(s->start_since_boot_s, 1234.56);
}

TEST(ProcStatTest, RejectsGarbage) {
  EXPECT_FALSE(parse_proc_stat("", 100).has_value());
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 2", 100).has_value());
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 2 3 4 5 6 7 8 9 x y 1 1 1 1 1 1 1 1", 100).has_value());
}

TEST(ProcessMetricsTest, RendersPlausibleValues) {
  Registry r;
  register_process_metrics(r);
  const std::string text = r.render();
  for (const char* name : {"process_cpu_seconds_total",
                           "process_max_fds",
                           "process_open_fds",
                           "process_resident_memory_bytes",
                           "process_start_time_seconds",
                           "process_virtual_memory_bytes"}) {
    const auto at = text.find(std::string("\n") + name + " ");
    ASSERT_NE(at, std::string::npos) << name;
    const double v = std::stod(text.substr(at + std::string(name).size() + 2));
    EXPECT_GT(v, 0) << name;
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_EQ(text.find("NaN"), std::string::npos) << text;
}

}  // namespace
}  // namespace mcpgate::metrics
