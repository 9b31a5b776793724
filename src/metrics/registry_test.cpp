#include "metrics/registry.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace mcpgate::metrics {
namespace {

TEST(RegistryTest, EmptyRegistryRendersNothing) {
  Registry r;
  EXPECT_EQ(r.render(), "");
}

TEST(RegistryTest, CounterWithoutLabelsShowsZeroFromTheStart) {
  Registry r;
  auto& c = r.counter("jobs_total", "Jobs done.");
  EXPECT_EQ(r.render(),
            "# HELP jobs_total Jobs done.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total 0\n");
  c.with().inc();
  c.with().inc(41);
  EXPECT_EQ(r.render(),
            "# HELP jobs_total Jobs done.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total 42\n");
}

TEST(RegistryTest, LabelledSeriesSortByValuesAndEscape) {
  Registry r;
  auto& c = r.counter(
      "requests_total", "Requests by \"method\" and code.\nSecond line \\.", {"method", "code"});
  c.with({"POST", "2xx"}).inc(2);
  c.with({"GET", "5xx"}).inc();
  c.with({"GET", "2xx"}).inc(3);
  c.with({"we\"ird\\\nname", "4xx"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP requests_total Requests by \"method\" and code.\\nSecond line \\\\.\n"
            "# TYPE requests_total counter\n"
            "requests_total{method=\"GET\",code=\"2xx\"} 3\n"
            "requests_total{method=\"GET\",code=\"5xx\"} 1\n"
            "requests_total{method=\"POST\",code=\"2xx\"} 2\n"
            "requests_total{method=\"we\\\"ird\\\\\\nname\",code=\"4xx\"} 1\n");
}

TEST(RegistryTest, LabelledFamilyWithoutSeriesIsLeftOut) {
  Registry r;
  r.counter("requests_total", "Requests.", {"method"});
  EXPECT_EQ(r.render(), "");
}

TEST(RegistryTest, GaugeGoesUpAndDown) {
  Registry r;
  auto& g = r.gauge("open_connections", "Open connections.", {"listener"});
  auto& a = g.with({"a"});
  a.inc();
  a.inc();
  a.dec();
  g.with({"b"}).set(-0.5);
  g.with({"c"}).add(1e20);
  EXPECT_EQ(r.render(),
            "# HELP open_connections Open connections.\n"
            "# TYPE open_connections gauge\n"
            "open_connections{listener=\"a\"} 1\n"
            "open_connections{listener=\"b\"} -0.5\n"
            "open_connections{listener=\"c\"} 1e+20\n");
}

TEST(RegistryTest, HistogramBucketsAreCumulative) {
  Registry r;
  // Binary fractions, so the sum is exact.
  const double buckets[] = {0.125, 1, 10};
  auto& h = r.histogram("latency_seconds", "Latency.", {"op"}, buckets);
  auto& read = h.with({"read"});
  read.observe(0.0625);
  read.observe(0.125);  // le is inclusive
  read.observe(0.5);
  read.observe(20);
  read.observe(std::nan(""));  // dropped
  h.with({"write"}).observe(std::chrono::milliseconds(250));
  EXPECT_EQ(r.render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{op=\"read\",le=\"0.125\"} 2\n"
            "latency_seconds_bucket{op=\"read\",le=\"1\"} 3\n"
            "latency_seconds_bucket{op=\"read\",le=\"10\"} 3\n"
            "latency_seconds_bucket{op=\"read\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{op=\"read\"} 20.6875\n"
            "latency_seconds_count{op=\"read\"} 4\n"
            "latency_seconds_bucket{op=\"write\",le=\"0.125\"} 0\n"
            "latency_seconds_bucket{op=\"write\",le=\"1\"} 1\n"
            "latency_seconds_bucket{op=\"write\",le=\"10\"} 1\n"
            "latency_seconds_bucket{op=\"write\",le=\"+Inf\"} 1\n"
            "latency_seconds_sum{op=\"write\"} 0.25\n"
            "latency_seconds_count{op=\"write\"} 1\n");
  EXPECT_EQ(read.count(), 4u);
}

TEST(RegistryTest, HistogramWithoutLabelsAndAnExplicitInfBound) {
  Registry r;
  const double buckets[] = {0.0001, 2.5, std::numeric_limits<double>::infinity()};
  auto& h = r.histogram("d_seconds", "D.", {}, buckets).with();
  h.observe(0.00005);
  EXPECT_EQ(r.render(),
            "# HELP d_seconds D.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"0.0001\"} 1\n"
            "d_seconds_bucket{le=\"2.5\"} 1\n"
            "d_seconds_bucket{le=\"+Inf\"} 1\n"
            "d_seconds_sum 0.00005\n"
            "d_seconds_count 1\n");
}

TEST(RegistryTest, FamiliesRenderSortedByName) {
  Registry r;
  r.gauge("zeta", "Z.");
  r.counter("alpha_total", "A.");
  r.gauge_fn("mid", "M.", [] { return 7.0; });
  EXPECT_EQ(r.render(),
            "# HELP alpha_total A.\n# TYPE alpha_total counter\nalpha_total 0\n"
            "# HELP mid M.\n# TYPE mid gauge\nmid 7\n"
            "# HELP zeta Z.\n# TYPE zeta gauge\nzeta 0\n");
}

TEST(RegistryTest, FunctionFamiliesReadTheirValueAtRenderAndCanBeReplaced) {
  Registry r;
  double v = 1;
  r.counter_fn("things_total", "Things.", [&v] { return v; });
  v = 5;
  EXPECT_EQ(r.render(),
            "# HELP things_total Things.\n# TYPE things_total counter\nthings_total 5\n");
  r.counter_fn("things_total", "Things.", [] { return 9.0; });
  EXPECT_EQ(r.render(),
            "# HELP things_total Things.\n# TYPE things_total counter\nthings_total 9\n");
  EXPECT_THROW(r.gauge_fn("things_total", "Things.", [] { return 1.0; }), std::invalid_argument);
}

TEST(RegistryTest, SameRegistrationTwiceReturnsTheSameFamily) {
  Registry r;
  auto& a = r.counter("x_total", "X.", {"k"});
  auto& b = r.counter("x_total", "X.", {"k"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.with({"v"}), &b.with({"v"}));
  const double buckets[] = {1, 2};
  EXPECT_EQ(&r.histogram("h", "H.", {}, buckets), &r.histogram("h", "H.", {}, buckets));
}

TEST(RegistryTest, ConflictingRegistrationThrows) {
  Registry r;
  r.counter("x_total", "X.", {"k"});
  EXPECT_THROW(r.gauge("x_total", "X.", {"k"}), std::invalid_argument);
  EXPECT_THROW(r.counter("x_total", "X.", {"other"}), std::invalid_argument);
  EXPECT_THROW(r.counter("x_total", "Different help.", {"k"}), std::invalid_argument);
  EXPECT_THROW(r.gauge_fn("x_total", "X.", [] { return 0.0; }), std::invalid_argument);
  const double one[] = {1};
  const double two[] = {1, 2};
  r.histogram("h", "H.", {}, one);
  EXPECT_THROW(r.histogram("h", "H.", {}, two), std::invalid_argument);
}

TEST(RegistryTest, InvalidNamesAreRejected) {
  Registry r;
  EXPECT_THROW(r.counter("bad-name", "."), std::invalid_argument);
  EXPECT_THROW(r.counter("", "."), std::invalid_argument);
  EXPECT_THROW(r.gauge("0x", "."), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", ".", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", ".", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", ".", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(r.gauge_fn("bad name", ".", [] { return 0.0; }), std::invalid_argument);
  const double buckets[] = {1};
  EXPECT_THROW(r.histogram("h", ".", {"le"}, buckets), std::invalid_argument);
  EXPECT_EQ(r.render(), "");
}

TEST(RegistryTest, BadBucketsAreRejected) {
  Registry r;
  const double unordered[] = {1, 0.5};
  const double repeated[] = {1, 1};
  const double nan[] = {std::nan("")};
  const double neg_inf[] = {-std::numeric_limits<double>::infinity(), 1};
  EXPECT_THROW(r.histogram("a", ".", {}, unordered), std::invalid_argument);
  EXPECT_THROW(r.histogram("b", ".", {}, repeated), std::invalid_argument);
  EXPECT_THROW(r.histogram("c", ".", {}, nan), std::invalid_argument);
  EXPECT_THROW(r.histogram("d", ".", {}, neg_inf), std::invalid_argument);
}

TEST(RegistryTest, WrongNumberOfLabelValuesThrows) {
  Registry r;
  auto& c = r.counter("x_total", "X.", {"a", "b"});
  EXPECT_THROW(c.with({"only-one"}), std::invalid_argument);
  EXPECT_THROW(c.with({"1", "2", "3"}), std::invalid_argument);
}

TEST(GlobalRegistryTest, HasProcessMetrics) {
  const std::string text = global().render();
  for (const char* name : {"process_cpu_seconds_total ",
                           "process_open_fds ",
                           "process_resident_memory_bytes ",
                           "process_start_time_seconds "}) {
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name;
  }
  EXPECT_EQ(text.find("NaN"), std::string::npos) << text;
  EXPECT_EQ(&global(), &global());
}

}  // namespace
}  // namespace mcpgate::metrics
