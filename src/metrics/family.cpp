#include "metrics/family.hpp"

#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "metrics/exposition.hpp"

namespace mcpgate::metrics {
namespace {

// Sample lines: name{labels} value. `labels` is already rendered; `extra` (a histogram's le)
// is appended to it.
void append_sample(std::string& out,
                   std::string_view name,
                   std::string_view suffix,
                   std::string_view labels,
                   std::string_view extra) {
  out += name;
  out += suffix;
  if (!labels.empty() || !extra.empty()) {
    out += '{';
    out += labels;
    if (!labels.empty() && !extra.empty()) {
      out += ',';
    }
    out += extra;
    out += '}';
  }
  out += ' ';
}

void render_series(std::string& out,
                   std::string_view name,
                   std::string_view labels,
                   const Counter& c) {
  append_sample(out, name, "", labels, "");
  append_value(out, c.value());
  out += '\n';
}

void render_series(std::string& out,
                   std::string_view name,
                   std::string_view labels,
                   const Gauge& g) {
  append_sample(out, name, "", labels, "");
  append_value(out, g.value());
  out += '\n';
}

void render_series(std::string& out,
                   std::string_view name,
                   std::string_view labels,
                   const Histogram& h) {
  const std::span<const double> bounds = h.bounds();
  std::uint64_t cumulative = 0;
  std::string le;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += h.bucket_count(i);
    le = "le=\"";
    if (i < bounds.size()) {
      append_value(le, bounds[i]);
    } else {
      le += "+Inf";
    }
    le += '"';
    append_sample(out, name, "_bucket", labels, le);
    append_value(out, cumulative);
    out += '\n';
  }
  append_sample(out, name, "_sum", labels, "");
  append_value(out, h.sum());
  out += '\n';
  // The +Inf bucket's count, not a separate read: the two lines always agree.
  append_sample(out, name, "_count", labels, "");
  append_value(out, cumulative);
  out += '\n';
}

template <class S>
constexpr MetricType type_of() {
  if constexpr (std::is_same_v<S, Counter>) {
    return MetricType::kCounter;
  } else if constexpr (std::is_same_v<S, Gauge>) {
    return MetricType::kGauge;
  } else {
    return MetricType::kHistogram;
  }
}

}  // namespace

const char* metric_type_name(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

FamilyBase::FamilyBase(std::string name,
                       std::string help,
                       MetricType type,
                       std::vector<std::string> labels)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(labels)) {}

void FamilyBase::render_header(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_escaped_help(out, help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += metric_type_name(type_);
  out += '\n';
}

template <class S>
Family<S>::Family(std::string name,
                  std::string help,
                  std::vector<std::string> labels,
                  std::vector<double> bounds,
                  FamilyOptions options,
                  Family<Counter>* overflow)
    : FamilyBase(std::move(name), std::move(help), type_of<S>(), std::move(labels)),
      bounds_(std::move(bounds)),
      options_(options),
      overflow_(overflow) {
  if (label_names().empty()) {
    // A family without labels has exactly one series: shown (as 0) from the start.
    with();
  }
}

template <class S>
S& Family<S>::with(std::span<const std::string_view> values) {
  if (values.size() != label_names().size()) {
    throw std::invalid_argument("metric " + name() + ": expected "
                                + std::to_string(label_names().size()) + " label values, got "
                                + std::to_string(values.size()));
  }
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(values); it != series_.end()) {
      return *it->second.series;
    }
  }
  return insert(values);
}

template <class S>
S& Family<S>::insert(std::span<const std::string_view> values) {
  // Stored values are sanitized, so a lookup of the raw values can miss an existing series:
  // look again with the stored spelling.
  std::vector<std::string> stored;
  stored.reserve(values.size());
  for (const std::string_view v : values) {
    stored.push_back(sanitize_label_value(v, options_.max_label_bytes));
  }
  bool overflowed = false;
  S* series = nullptr;
  {
    std::unique_lock lock(mu_);
    auto it = series_.find(stored);
    if (it == series_.end()) {
      const std::size_t held = series_.size() - (has_overflow_ ? 1 : 0);
      if (held >= options_.max_series) {
        overflowed = true;
        stored.assign(stored.size(), std::string(kOverflowValue));
        it = series_.find(stored);
        has_overflow_ = true;
      }
    }
    if (it == series_.end()) {
      std::string labels;
      for (std::size_t i = 0; i < stored.size(); ++i) {
        if (i != 0) {
          labels += ',';
        }
        labels += label_names()[i];
        labels += "=\"";
        append_escaped_label_value(labels, stored[i]);
        labels += '"';
      }
      it = series_.try_emplace(std::move(stored)).first;  // absent: checked above
      it->second.labels = std::move(labels);
      it->second.series = make_series();
    }
    series = it->second.series.get();
  }
  if (overflowed) {
    overflowed_.fetch_add(1, std::memory_order_relaxed);
    if (overflow_ != nullptr) {
      overflow_->with({name()}).inc();
    }
  }
  return *series;
}

template <class S>
std::unique_ptr<S> Family<S>::make_series() const {
  if constexpr (std::is_same_v<S, Histogram>) {
    return std::make_unique<S>(bounds());
  } else {
    return std::make_unique<S>();
  }
}

template <class S>
std::size_t Family<S>::size() const {
  std::shared_lock lock(mu_);
  return series_.size();
}

template <class S>
void Family<S>::render(std::string& out) const {
  std::shared_lock lock(mu_);
  if (series_.empty()) {
    return;
  }
  render_header(out);
  for (const auto& [values, entry] : series_) {
    render_series(out, name(), entry.labels, *entry.series);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

}  // namespace mcpgate::metrics
