#pragma once
// Registry: the metric families of a process (or of a test), and their exposition.
//
// Registration is idempotent: asking again for a family with the same name, type, help, labels
// and buckets returns the same family, so each user can register where it counts (a function-
// local static) without start-up ordering. Asking for a name already taken with a different
// shape is a programming error and throws std::invalid_argument, as does an invalid name or
// label; registrations happen at start-up or on first use, so that surfaces at once.
//
// A registry owns one family of its own, mcpgate_metrics_series_overflow_total{family}: how
// many lookups each family sent to its overflow series (family.hpp, FamilyOptions).
//
// Thread-safe. Families live as long as their registry; the global one is never destroyed, so
// instrumented code may run during static destruction.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/family.hpp"

namespace mcpgate::metrics {

class Registry {
 public:
  Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  CounterFamily& counter(std::string_view name,
                         std::string_view help,
                         std::vector<std::string> labels = {},
                         FamilyOptions options = {});

  GaugeFamily& gauge(std::string_view name,
                     std::string_view help,
                     std::vector<std::string> labels = {},
                     FamilyOptions options = {});

  // `buckets`: strictly increasing upper bounds (a trailing +Inf may be given; it is implied).
  HistogramFamily& histogram(std::string_view name,
                             std::string_view help,
                             std::vector<std::string> labels,
                             std::span<const double> buckets,
                             FamilyOptions options = {});

  // A label-less value computed when rendered (process figures, sizes of structures owned
  // elsewhere). Registering the name again replaces the function; it must stay callable as
  // long as the registry (or until replaced), and run quickly: it runs inside render().
  void counter_fn(std::string_view name, std::string_view help, std::function<double()> fn);
  void gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn);

  // The text exposition format 0.0.4: families sorted by name, series by label values.
  std::string render() const;

 private:
  template <class F, class Make>
  F& find_or_add(std::string_view name, Make make, const std::function<bool(const F&)>& same);
  void add_fn(std::string_view name,
              std::string_view help,
              MetricType type,
              std::function<double()> fn);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>, std::less<>> families_;  // guarded by mu_
  CounterFamily* overflow_ = nullptr;
};

// The process-wide registry, with the process_* metrics (process_metrics.hpp) registered.
Registry& global();

}  // namespace mcpgate::metrics
