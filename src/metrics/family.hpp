#pragma once
// Metric families: a name, help text and label names, and the series under them, one per
// combination of label values. Families are created through a Registry (registry.hpp), which
// owns them; references to families and series stay valid as long as the registry.
//
//   auto& decisions = registry.counter("mcpgate_authz_decisions_total", "...", {"decision"});
//   metrics::Counter& allowed = decisions.with({"allow"});   // once, at start-up
//   allowed.inc();                                            // per event
//
// with() takes a shared lock and a map lookup: fine occasionally, but hot paths keep the
// reference. Thread-safe.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/series.hpp"

namespace mcpgate::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

const char* metric_type_name(MetricType type);  // "counter" | "gauge" | "histogram"

struct FamilyOptions {
  // Label combinations beyond this many share one overflow series (every label value
  // "_overflow"), so values chosen by clients (tool names) cannot exhaust memory.
  std::size_t max_series = 10000;
  // Longer label values are cut (on a UTF-8 boundary).
  std::size_t max_label_bytes = 256;
};

inline constexpr std::string_view kOverflowValue = "_overflow";

class FamilyBase {
 public:
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;
  virtual ~FamilyBase() = default;

  const std::string& name() const { return name_; }

  const std::string& help() const { return help_; }

  MetricType type() const { return type_; }

  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends the HELP, TYPE and sample lines; nothing at all while the family has no series.
  virtual void render(std::string& out) const = 0;

 protected:
  FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> labels);

  // The "# HELP" and "# TYPE" lines.
  void render_header(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

// Orders label-value lists (std::vector<std::string> keys, std::span<const std::string_view>
// lookups) without building a key per lookup.
struct LabelValuesLess {
  using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard's name

  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(), [](std::string_view x, std::string_view y) {
          return x < y;
        });
  }
};

template <class S>
class Family final : public FamilyBase {
 public:
  // Use Registry::counter() / gauge() / histogram(). `bounds` only for histograms; `overflow`
  // (may be null) counts, by this family's name, the lookups sent to the overflow series.
  Family(std::string name,
         std::string help,
         std::vector<std::string> labels,
         std::vector<double> bounds,
         FamilyOptions options,
         Family<Counter>* overflow);

  // The series for these label values, one per label name in order; created on first use.
  // A wrong number of values is a programming error: std::invalid_argument.
  S& with(std::span<const std::string_view> values);

  S& with(std::initializer_list<std::string_view> values = {}) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }

  // Histograms: the bucket upper bounds.
  std::span<const double> bounds() const { return bounds_; }

  // Series held, the overflow series included.
  std::size_t size() const;

  // Lookups sent to the overflow series so far.
  std::uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

  void render(std::string& out) const override;

 private:
  struct Entry {
    std::string labels;  // rendered: name="value",... (escaped)
    std::unique_ptr<S> series;
  };

  S& insert(std::span<const std::string_view> values);
  std::unique_ptr<S> make_series() const;

  std::vector<double> bounds_;
  FamilyOptions options_;
  Family<Counter>* overflow_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, Entry, LabelValuesLess> series_;  // guarded by mu_
  bool has_overflow_ = false;                                          // guarded by mu_
  std::atomic<std::uint64_t> overflowed_{0};
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

}  // namespace mcpgate::metrics
