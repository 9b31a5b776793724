#include "process/backoff.hpp"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

namespace mcpgate::process {
namespace {

using std::chrono::milliseconds;

// A random source that returns the given values in turn (then repeats the last).
Backoff::Random sequence(std::vector<double> values) {
  return [values = std::move(values), i = std::size_t{0}]() mutable {
    const double v = values[std::min(i, values.size() - 1)];
    ++i;
    return v;
  };
}

TEST(BackoffTest, CeilingGrowsGeometricallyUpToMax) {
  Backoff b({.initial = milliseconds(100), .max = milliseconds(1000), .multiplier = 2.0},
            sequence({0.999999}));
  std::vector<long> delays;
  for (int i = 0; i < 6; ++i) {
    delays.push_back(static_cast<long>(b.next().count()));
  }
  // floor(0.999999 * ceiling): 100, 200, 400, 800, 1000, 1000.
  EXPECT_EQ(delays, (std::vector<long>{99, 199, 399, 799, 999, 999}));
  EXPECT_EQ(b.failures(), 6);
}

TEST(BackoffTest, FullJitterScalesTheCeiling) {
  Backoff b({.initial = milliseconds(1000), .max = milliseconds(60000), .multiplier = 3.0},
            sequence({0.0, 0.5, 0.25, 1.0}));
  EXPECT_EQ(b.next(), milliseconds(0));      // ceiling 1000
  EXPECT_EQ(b.next(), milliseconds(1500));   // ceiling 3000
  EXPECT_EQ(b.next(), milliseconds(2250));   // ceiling 9000
  EXPECT_EQ(b.next(), milliseconds(27000));  // ceiling 27000; 1.0 is clamped to the ceiling
}

TEST(BackoffTest, StableRunResetsAndShortRunDoesNot) {
  Backoff b({.initial = milliseconds(10),
             .max = milliseconds(10000),
             .multiplier = 2.0,
             .reset_after = milliseconds(5000)},
            sequence({0.5}));
  b.next();
  b.next();
  b.next();
  EXPECT_EQ(b.ceiling(), milliseconds(80));
  b.record_run(milliseconds(4999));
  EXPECT_EQ(b.failures(), 3);
  b.record_run(milliseconds(5000));
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.next(), milliseconds(5));
}

TEST(BackoffTest, NormalizesOddOptionsAndSaturates) {
  Backoff b({.initial = milliseconds(0), .max = milliseconds(0), .multiplier = 0.5},
            sequence({0.5}));
  EXPECT_EQ(b.options().initial, milliseconds(1));
  EXPECT_EQ(b.options().max, milliseconds(1));
  EXPECT_EQ(b.options().multiplier, 1.0);

  Backoff big({.initial = milliseconds(1), .max = milliseconds(30000), .multiplier = 10.0},
              sequence({1.0}));
  for (int i = 0; i < 5000; ++i) {
    big.next();
  }
  EXPECT_EQ(big.next(), milliseconds(30000));  // no overflow after a long streak
}

TEST(BackoffTest, DefaultRandomStaysWithinTheCeiling) {
  Backoff b({.initial = milliseconds(100), .max = milliseconds(400)});
  for (int i = 0; i < 100; ++i) {
    const auto top = b.ceiling();
    const auto d = b.next();
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d, top);
  }
}

}  // namespace
}  // namespace mcpgate::process
