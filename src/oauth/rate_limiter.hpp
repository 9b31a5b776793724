#pragma once
// RateLimiter: a token bucket per key (source IP), refilled continuously at `per_minute` per
// minute with a burst of `per_minute` (ATTACKS rows 47, 79). Bounded memory: idle buckets are
// dropped when the table grows.
//
// Thread-safe.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mcpgate::oauth {

class RateLimiter {
 public:
  // per_minute <= 0 disables the limit.
  explicit RateLimiter(int per_minute, std::size_t max_keys = 50000)
      : per_minute_(per_minute), max_keys_(max_keys) {}

  // Takes one token for `key` at time `now` (unix seconds). False when the bucket is empty;
  // `retry_after_s` (when given) is then the wait for the next token.
  bool allow(const std::string& key, std::int64_t now, int* retry_after_s = nullptr);

  // Like allow() without taking the token: true when one is available. For limits that count
  // failures only (sign-in attempts): check first, spend on failure.
  bool available(const std::string& key, std::int64_t now, int* retry_after_s = nullptr);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated = 0;
  };
  // Refills the bucket of `key` (creating it full) and returns it. Caller holds mu_.
  Bucket& refill_locked(const std::string& key, std::int64_t now);
  int retry_after(const Bucket& b) const;

  const int per_minute_;
  const std::size_t max_keys_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace mcpgate::oauth
