#include "metrics/registry.hpp"

#include <cmath>
#include <set>
#include <stdexcept>
#include <utility>

#include "metrics/exposition.hpp"
#include "metrics/process_metrics.hpp"

namespace mcpgate::metrics {
namespace {

constexpr std::string_view kOverflowFamily = "mcpgate_metrics_series_overflow_total";

[[noreturn]] void fail(std::string_view name, const std::string& why) {
  throw std::invalid_argument("metric " + std::string(name) + ": " + why);
}

void check_names(std::string_view name, const std::vector<std::string>& labels, MetricType type) {
  if (!valid_metric_name(name)) {
    fail(name, "invalid name");
  }
  std::set<std::string_view> seen;
  for (const auto& label : labels) {
    if (!valid_label_name(label)) {
      fail(name, "invalid label name \"" + label + "\"");
    }
    if (type == MetricType::kHistogram && label == "le") {
      fail(name, "label \"le\" is reserved for histogram buckets");
    }
    if (!seen.insert(label).second) {
      fail(name, "label \"" + label + "\" given twice");
    }
  }
}

std::vector<double> check_buckets(std::string_view name, std::span<const double> buckets) {
  std::vector<double> bounds(buckets.begin(), buckets.end());
  if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) {
    bounds.pop_back();  // the +Inf bucket is always there
  }
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      fail(name, "bucket bounds must be finite");
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      fail(name, "bucket bounds must increase strictly");
    }
  }
  return bounds;
}

// A label-less value read when rendered.
class FunctionFamily final : public FamilyBase {
 public:
  FunctionFamily(std::string name, std::string help, MetricType type, std::function<double()> fn)
      : FamilyBase(std::move(name), std::move(help), type, {}), fn_(std::move(fn)) {}

  // Called with the registry's lock held, as is render(): no lock of its own needed.
  void replace(std::function<double()> fn) { fn_ = std::move(fn); }

  void render(std::string& out) const override {
    if (!fn_) {
      return;
    }
    render_header(out);
    out += name();
    out += ' ';
    append_value(out, fn_());
    out += '\n';
  }

 private:
  std::function<double()> fn_;
};

}  // namespace

Registry::Registry() {
  overflow_ = &counter(kOverflowFamily,
                       "Label-value lookups sent to a family's overflow series because the "
                       "family held its maximum number of series.",
                       {"family"});
}

Registry::~Registry() = default;

template <class F, class Make>
F& Registry::find_or_add(std::string_view name,
                         Make make,
                         const std::function<bool(const F&)>& same) {
  std::lock_guard lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<F*>(it->second.get());
    if (existing == nullptr || !same(*existing)) {
      fail(name, "registered twice with different type, help, labels or buckets");
    }
    return *existing;
  }
  std::unique_ptr<F> family = make();
  F& ref = *family;
  families_.emplace(std::string(name), std::move(family));
  return ref;
}

CounterFamily& Registry::counter(std::string_view name,
                                 std::string_view help,
                                 std::vector<std::string> labels,
                                 FamilyOptions options) {
  check_names(name, labels, MetricType::kCounter);
  // The overflow family reports the others' overflows, never its own (it holds one series per
  // family, far below its limit).
  Family<Counter>* sink = name == kOverflowFamily ? nullptr : overflow_;
  return find_or_add<CounterFamily>(
      name,
      [&] {
        return std::make_unique<CounterFamily>(
            std::string(name), std::string(help), labels, std::vector<double>{}, options, sink);
      },
      [&](const CounterFamily& f) { return f.help() == help && f.label_names() == labels; });
}

GaugeFamily& Registry::gauge(std::string_view name,
                             std::string_view help,
                             std::vector<std::string> labels,
                             FamilyOptions options) {
  check_names(name, labels, MetricType::kGauge);
  return find_or_add<GaugeFamily>(
      name,
      [&] {
        return std::make_unique<GaugeFamily>(std::string(name),
                                             std::string(help),
                                             labels,
                                             std::vector<double>{},
                                             options,
                                             overflow_);
      },
      [&](const GaugeFamily& f) { return f.help() == help && f.label_names() == labels; });
}

HistogramFamily& Registry::histogram(std::string_view name,
                                     std::string_view help,
                                     std::vector<std::string> labels,
                                     std::span<const double> buckets,
                                     FamilyOptions options) {
  check_names(name, labels, MetricType::kHistogram);
  std::vector<double> bounds = check_buckets(name, buckets);
  return find_or_add<HistogramFamily>(
      name,
      [&] {
        return std::make_unique<HistogramFamily>(
            std::string(name), std::string(help), labels, bounds, options, overflow_);
      },
      [&](const HistogramFamily& f) {
        return f.help() == help && f.label_names() == labels
               && std::equal(bounds.begin(), bounds.end(), f.bounds().begin(), f.bounds().end());
      });
}

void Registry::counter_fn(std::string_view name,
                          std::string_view help,
                          std::function<double()> fn) {
  add_fn(name, help, MetricType::kCounter, std::move(fn));
}

void Registry::gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn) {
  add_fn(name, help, MetricType::kGauge, std::move(fn));
}

void Registry::add_fn(std::string_view name,
                      std::string_view help,
                      MetricType type,
                      std::function<double()> fn) {
  check_names(name, {}, type);
  std::lock_guard lock(mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    auto* existing = dynamic_cast<FunctionFamily*>(it->second.get());
    if (existing == nullptr || existing->type() != type || existing->help() != help) {
      fail(name, "registered twice with different type or help");
    }
    existing->replace(std::move(fn));
    return;
  }
  families_.emplace(
      std::string(name),
      std::make_unique<FunctionFamily>(std::string(name), std::string(help), type, std::move(fn)));
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, family] : families_) {
    family->render(out);
  }
  return out;
}

Registry& global() {
  // Never destroyed: threads may still count while static objects are torn down at exit.
  static Registry* const registry = [] {
    auto* r = new Registry;
    register_process_metrics(*r);
    return r;
  }();
  return *registry;
}

}  // namespace mcpgate::metrics
