// Micro-benchmarks of the metrics hot path (src/metrics): what one instrumented event costs.
//
//   build/<dir>/bench/bench_metrics --benchmark_min_time=1
//
// ->Threads(2) runs the loop on two threads at once on the SAME series (the worst case: the
// cache line moves between cores on every update); "Distinct" gives each thread its own series.
// Times are per update and per thread.

#include <string>

#include <benchmark/benchmark.h>

#include "metrics/metrics.hpp"

namespace {

using mcpgate::metrics::Counter;
using mcpgate::metrics::Histogram;
using mcpgate::metrics::kLatencyBuckets;
using mcpgate::metrics::Registry;

Registry& registry() {
  static Registry r;
  return r;
}

void BM_CounterInc(benchmark::State& state) {
  Counter& c = registry().counter("bench_shared_total", "B.").with();
  for (auto _ : state) {
    c.inc();
  }
}

BENCHMARK(BM_CounterInc)->Threads(1)->Threads(2);

void BM_CounterIncDistinct(benchmark::State& state) {
  Counter& c = registry()
                   .counter("bench_distinct_total", "B.", {"thread"})
                   .with({std::to_string(state.thread_index())});
  for (auto _ : state) {
    c.inc();
  }
}

BENCHMARK(BM_CounterIncDistinct)->Threads(1)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  Histogram& h = registry().histogram("bench_seconds", "B.", {}, kLatencyBuckets).with();
  // Values spread over the buckets, so the bucket search is not always the first one.
  double v = 0.00003;
  for (auto _ : state) {
    h.observe(v);
    v = v > 20 ? 0.00003 : v * 1.7;
  }
}

BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

void BM_HistogramObserveDistinct(benchmark::State& state) {
  Histogram& h = registry()
                     .histogram("bench_distinct_seconds", "B.", {"thread"}, kLatencyBuckets)
                     .with({std::to_string(state.thread_index())});
  double v = 0.00003;
  for (auto _ : state) {
    h.observe(v);
    v = v > 20 ? 0.00003 : v * 1.7;
  }
}

BENCHMARK(BM_HistogramObserveDistinct)->Threads(1)->Threads(2);

// The lookup a caller pays when it does not keep the series (two labels, existing series).
void BM_FamilyWithLookup(benchmark::State& state) {
  auto& family = registry().counter("bench_lookup_total", "B.", {"method", "code"});
  family.with({"GET", "2xx"});
  for (auto _ : state) {
    family.with({"GET", "2xx"}).inc();
  }
}

BENCHMARK(BM_FamilyWithLookup)->Threads(1)->Threads(2);

// One scrape of a registry with 1000 series.
void BM_Render(benchmark::State& state) {
  Registry r;
  auto& family = r.counter("bench_render_total", "B.", {"tool"});
  for (int i = 0; i < 1000; ++i) {
    family.with({"tool_" + std::to_string(i)}).inc(static_cast<std::uint64_t>(i));
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = r.render();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes * state.iterations()));
}

BENCHMARK(BM_Render);

}  // namespace

BENCHMARK_MAIN();
