#include "metrics/family.hpp"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/registry.hpp"

namespace mcpgate::metrics {
namespace {

TEST(FamilyTest, SeriesReferencesAreStable) {
  Registry r;
  auto& f = r.counter("x_total", "X.", {"k"});
  Counter& first = f.with({"a"});
  for (int i = 0; i < 1000; ++i) {
    f.with({std::to_string(i)});
  }
  EXPECT_EQ(&first, &f.with({"a"}));
}

TEST(FamilyTest, ConcurrentIncrementsAreAllCounted) {
  Registry r;
  auto& f = r.counter("x_total", "X.", {"k"});
  auto& g = r.gauge("g", "G.");
  const double buckets[] = {0.5};
  auto& h = r.histogram("h", "H.", {}, buckets).with();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& shared = f.with({"shared"});
      // Some lookups race with the creation of the same series.
      Counter& own = f.with({"t" + std::to_string(t % 2)});
      Gauge& gauge = g.with();
      for (int i = 0; i < kPerThread; ++i) {
        shared.inc();
        own.inc();
        gauge.inc();
        h.observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(f.with({"shared"}).value(), std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(f.with({"t0"}).value(), std::uint64_t{kThreads / 2} * kPerThread);
  EXPECT_EQ(f.with({"t1"}).value(), std::uint64_t{kThreads / 2} * kPerThread);
  EXPECT_EQ(g.with().value(), double{kThreads} * kPerThread);
  EXPECT_EQ(h.count(), std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(h.bucket_count(0), std::uint64_t{kThreads} * kPerThread / 2);
  EXPECT_EQ(h.sum(), kThreads * kPerThread * 0.625);  // exact: binary fractions
}

TEST(FamilyTest, RenderWhileOthersCreateSeries) {
  Registry r;
  auto& f = r.counter("x_total", "X.", {"k"});
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      f.with({std::to_string(i)}).inc();
    }
  });
  std::size_t last = 0;
  for (int i = 0; i < 50; ++i) {
    const std::string text = r.render();
    EXPECT_GE(text.size(), last);
    last = text.size();
  }
  writer.join();
  EXPECT_EQ(f.size(), 2000u);
}

TEST(FamilyTest, SeriesBeyondTheLimitShareTheOverflowSeries) {
  Registry r;
  FamilyOptions options;
  options.max_series = 3;
  auto& f = r.counter("calls_total", "Calls.", {"tool", "result"}, options);
  f.with({"a", "ok"}).inc();
  f.with({"b", "ok"}).inc();
  f.with({"c", "ok"}).inc();
  Counter& over = f.with({"d", "ok"});
  over.inc();
  EXPECT_EQ(&over, &f.with({"e", "error"}));
  f.with({"e", "error"}).inc(10);
  f.with({"a", "ok"}).inc();  // existing series keep working
  EXPECT_EQ(f.size(), 4u);
  EXPECT_EQ(f.overflowed(), 3u);
  EXPECT_EQ(r.render(),
            "# HELP calls_total Calls.\n"
            "# TYPE calls_total counter\n"
            "calls_total{tool=\"_overflow\",result=\"_overflow\"} 11\n"
            "calls_total{tool=\"a\",result=\"ok\"} 2\n"
            "calls_total{tool=\"b\",result=\"ok\"} 1\n"
            "calls_total{tool=\"c\",result=\"ok\"} 1\n"
            "# HELP mcpgate_metrics_series_overflow_total Label-value lookups sent to a "
            "family's overflow series because the family held its maximum number of series.\n"
            "# TYPE mcpgate_metrics_series_overflow_total counter\n"
            "mcpgate_metrics_series_overflow_total{family=\"calls_total\"} 3\n");
}

TEST(FamilyTest, HostileValuesAreCutAndMadeValidUtf8) {
  Registry r;
  FamilyOptions options;
  options.max_label_bytes = 8;
  auto& f = r.counter("x_total", "X.", {"tool"}, options);
  Counter& c = f.with({"0123456789abcdef"});
  EXPECT_EQ(&c, &f.with({"01234567"}));  // the same stored value
  EXPECT_EQ(&c, &f.with({"01234567zzz"}));
  f.with({"\xff"}).inc();
  EXPECT_EQ(f.size(), 2u);
  EXPECT_NE(r.render().find("x_total{tool=\"\xef\xbf\xbd\"} 1\n"), std::string::npos);
}

TEST(FamilyTest, ManyDistinctValuesStayBounded) {
  Registry r;
  auto& f = r.counter("x_total", "X.", {"tool"});  // default limit
  for (int i = 0; i < 20000; ++i) {
    f.with({"tool-" + std::to_string(i)}).inc();
  }
  EXPECT_EQ(f.size(), FamilyOptions{}.max_series + 1);
  EXPECT_EQ(f.overflowed(), 20000u - FamilyOptions{}.max_series);
  EXPECT_EQ(f.with({std::string(kOverflowValue)}).value(), 10000u);
}

}  // namespace
}  // namespace mcpgate::metrics
