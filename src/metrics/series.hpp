#pragma once
// The series of a metric family: one counter, gauge or histogram for one combination of label
// values. A family hands out references that stay valid for the registry's lifetime, so callers
// look a series up once and keep it; after that every update is a relaxed atomic operation, with
// no lock and no allocation. Updates from any thread; reads (render) may see a histogram's sum
// and counts a few observations apart, which Prometheus tolerates.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mcpgate::metrics {

// Separate series of a hot family are updated by different threads: each gets its own cache
// line, so they do not slow each other down (false sharing).
inline constexpr std::size_t kCacheLine = 64;

// A monotonically increasing count (requests, decisions). Whole numbers only: everything we
// count is an event, and an integer add is cheaper than a floating-point CAS loop.
class alignas(kCacheLine) Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }

  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (open connections, queue depth).
class alignas(kCacheLine) Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }

  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }

  void inc() { add(1); }

  void dec() { add(-1); }

  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (upper bounds, inclusive), plus their sum. Each bucket
// counts only its own range; render() accumulates them into Prometheus' cumulative `le` buckets,
// so an observation touches one bucket and the sum.
class alignas(kCacheLine) Histogram {
 public:
  // `bounds`: strictly increasing finite upper bounds, owned by the family (outlives us). The
  // +Inf bucket is implicit.
  explicit Histogram(std::span<const double> bounds)
      : bounds_(bounds), counts_(bounds.size() + 1) {}

  // NaN is dropped: it fits no bucket and would turn the sum into NaN for good.
  void observe(double v) {
    if (std::isnan(v)) {
      return;
    }
    const auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v)
                                            - bounds_.begin());
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
  }

  // A duration, in seconds (the unit of every *_seconds metric).
  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> d) {
    observe(std::chrono::duration<double>(d).count());
  }

  std::span<const double> bounds() const { return bounds_; }

  // Observations in bucket i alone (i == bounds().size(): above the last bound).
  std::uint64_t bucket_count(std::size_t i) const {
    return counts_[i].load(std::memory_order_relaxed);
  }

  std::uint64_t count() const {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
      n += bucket_count(i);
    }
    return n;
  }

  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::span<const double> bounds_;
  std::vector<std::atomic<std::uint64_t>> counts_;  // sized once, never resized
  std::atomic<double> sum_{0};
};

// Upper bounds for request and check latencies: 100 µs to 10 s, roughly 1-2.5-5 per decade.
inline constexpr std::array<double, 16> kLatencyBuckets = {0.0001,
                                                           0.00025,
                                                           0.0005,
                                                           0.001,
                                                           0.0025,
                                                           0.005,
                                                           0.01,
                                                           0.025,
                                                           0.05,
                                                           0.1,
                                                           0.25,
                                                           0.5,
                                                           1,
                                                           2.5,
                                                           5,
                                                           10};

}  // namespace mcpgate::metrics
