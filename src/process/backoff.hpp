#pragma once
// Backoff: how long to wait before restarting a child that died. Exponential with "full
// jitter": the n-th consecutive failure waits a uniformly random time in [0, ceiling_n], where
// ceiling_n = min(max, initial * multiplier^n). Full jitter spreads restarts of many children
// that died together (an upstream outage) instead of restarting them in lock step.
//
// A child that ran for at least `reset_after` before dying counts as having been healthy: the
// sequence starts over from `initial` (record_run()).
//
// Not thread-safe: one Backoff per supervised child, used by its supervisor only.

#include <chrono>
#include <functional>

namespace mcpgate::process {

struct BackoffOptions {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{30000};
  double multiplier = 2.0;
  std::chrono::milliseconds reset_after{60000};
};

class Backoff {
 public:
  // Returns a value uniformly distributed in [0, 1). Tests inject a fixed sequence.
  using Random = std::function<double()>;

  // Options are normalized rather than refused (they come from validated config): initial < 1 ms
  // becomes 1 ms, max < initial becomes initial, a multiplier below 1 (or not finite) becomes 1.
  // An empty `random` uses a per-thread Mersenne Twister seeded from std::random_device.
  explicit Backoff(BackoffOptions options = {}, Random random = {});

  // The delay before the next attempt; each call counts one more consecutive failure.
  std::chrono::milliseconds next();

  // The ceiling the next call to next() draws from (without jitter, for logs and tests).
  std::chrono::milliseconds ceiling() const;

  // Reports how long the last attempt ran before it failed; a run of at least reset_after resets.
  void record_run(std::chrono::milliseconds ran_for);

  void reset() { failures_ = 0; }

  // Consecutive failures counted since the last reset.
  int failures() const { return failures_; }

  const BackoffOptions& options() const { return options_; }

 private:
  BackoffOptions options_;
  Random random_;
  int failures_ = 0;
};

}  // namespace mcpgate::process
