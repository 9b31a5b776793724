#include "oauth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace mcpgate::oauth {

RateLimiter::Bucket& RateLimiter::refill_locked(const std::string& key, std::int64_t now) {
  const double capacity = per_minute_;
  const double per_second = capacity / 60.0;
  if (buckets_.size() >= max_keys_ && buckets_.count(key) == 0) {
    // Drop the buckets that have refilled completely: they carry no state.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      const double refilled =
          it->second.tokens + static_cast<double>(now - it->second.updated) * per_second;
      it = refilled >= capacity ? buckets_.erase(it) : std::next(it);
    }
    if (buckets_.size() >= max_keys_) {
      buckets_.clear();  // still full: a flood of distinct keys; start over rather than grow
    }
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{capacity, now});
  Bucket& b = it->second;
  if (!inserted && now > b.updated) {
    b.tokens = std::min(capacity, b.tokens + static_cast<double>(now - b.updated) * per_second);
    b.updated = now;
  }
  return b;
}

int RateLimiter::retry_after(const Bucket& b) const {
  const double per_second = per_minute_ / 60.0;
  return std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / per_second)));
}

bool RateLimiter::allow(const std::string& key, std::int64_t now, int* retry_after_s) {
  if (per_minute_ <= 0) {
    return true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = refill_locked(key, now);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_s != nullptr) {
    *retry_after_s = retry_after(b);
  }
  return false;
}

bool RateLimiter::available(const std::string& key, std::int64_t now, int* retry_after_s) {
  if (per_minute_ <= 0) {
    return true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = refill_locked(key, now);
  if (b.tokens >= 1.0) {
    return true;
  }
  if (retry_after_s != nullptr) {
    *retry_after_s = retry_after(b);
  }
  return false;
}

}  // namespace mcpgate::oauth
