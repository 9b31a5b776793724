#pragma once
// Prometheus metrics for every module: include this one header.
//
//   #include "metrics/metrics.hpp"
//
//   // Once (a function-local static or a member): registration is idempotent.
//   auto& requests = metrics::global().counter("mcpgate_x_total", "What it counts.", {"result"});
//   metrics::Counter& ok = requests.with({"ok"});
//   auto& latency = metrics::global()
//                       .histogram("mcpgate_x_seconds", "How long.", {}, metrics::kLatencyBuckets)
//                       .with();
//   // Per event: one relaxed atomic add.
//   ok.inc();
//   latency.observe(std::chrono::steady_clock::now() - started);
//
// Naming: mcpgate_<module>_<what>_<unit>, counters end in _total, durations in _seconds, sizes
// in _bytes. Label values must come from a small set; a family caps its series (FamilyOptions).

#include "metrics/family.hpp"    // IWYU pragma: export
#include "metrics/registry.hpp"  // IWYU pragma: export
#include "metrics/series.hpp"    // IWYU pragma: export
