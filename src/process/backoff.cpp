#include "process/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>

namespace mcpgate::process {
namespace {

double default_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

Backoff::Backoff(BackoffOptions options, Random random)
    : options_(options), random_(random ? std::move(random) : Random(default_random)) {
  using std::chrono::milliseconds;
  options_.initial = std::max(options_.initial, milliseconds(1));
  options_.max = std::max(options_.max, options_.initial);
  if (!std::isfinite(options_.multiplier) || options_.multiplier < 1.0) {
    options_.multiplier = 1.0;
  }
}

std::chrono::milliseconds Backoff::ceiling() const {
  // In floating point so that a long failure streak saturates at max instead of overflowing.
  const double max_ms = static_cast<double>(options_.max.count());
  const double grown = static_cast<double>(options_.initial.count())
                       * std::pow(options_.multiplier, static_cast<double>(failures_));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(grown, max_ms)));
}

std::chrono::milliseconds Backoff::next() {
  const auto top = ceiling();
  // Clamp: an injected source may return exactly 1.0; never exceed the ceiling.
  const double r = std::clamp(random_(), 0.0, 1.0);
  if (failures_ < 1024) {  // past this the ceiling is max anyway; keep the counter bounded
    ++failures_;
  }
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::floor(r * static_cast<double>(top.count()))));
}

void Backoff::record_run(std::chrono::milliseconds ran_for) {
  if (ran_for >= options_.reset_after) {
    reset();
  }
}

}  // namespace mcpgate::process
