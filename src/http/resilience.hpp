#pragma once
// Per-upstream protection of the call path: a circuit breaker (stop sending to an upstream that
// keeps failing, probe it again after a cool-down) and a retry budget (retries may add at most a
// fraction of the calls, so a struggling upstream is not buried under them).
//
// Shared by the gateway (upstream MCP servers) and the connector runtime (SaaS APIs).
//
// Retry rules (gateway.cpp applies them): a call is retried only when it provably did not reach
// the upstream (kUnavailable: connection refused, child restarting), or when the upstream
// declares the tool read-only (`annotations.readOnlyHint`) and the failure was an HTTP 502/503/
// 504 — never after a timeout or a broken exchange, which may have acted. Annotations are hints
// from the upstream; here they only decide whether to try again, never whether a call is allowed.
//
// Thread-safe; the clock is injectable for tests.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace mcpgate::http {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

struct BreakerOptions {
  int failure_threshold = 5;                      // consecutive failures that open it
  std::chrono::milliseconds open_for{10000};      // how long calls fail fast
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  explicit CircuitBreaker(BreakerOptions options = {}, SteadyClock clock = {});

  // Whether a call may go out now. Open: no (until the cool-down ends). Half-open: one probe
  // at a time is let through; its outcome closes or re-opens the breaker.
  bool allow();
  void on_success();
  void on_failure();
  State state() const;

 private:
  std::chrono::steady_clock::time_point now() const;

  BreakerOptions options_;
  SteadyClock clock_;
  mutable std::mutex mu_;
  State state_ = State::kClosed;
  int failures_ = 0;
  bool probing_ = false;
  std::chrono::steady_clock::time_point opened_at_{};
};

const char* to_string(CircuitBreaker::State state);

// Retries may add at most `ratio` of the calls (plus a small floor so a quiet upstream can still
// retry): each call deposits `ratio` tokens, each retry withdraws one.
class RetryBudget {
 public:
  // Kept in thousandths of a retry, so ten calls at 0.1 earn exactly one.
  explicit RetryBudget(double ratio = 0.2, int floor = 3)
      : per_call_(static_cast<std::int64_t>(ratio * 1000 + 0.5)),
        cap_(std::int64_t{floor} * 1000 + 100000),
        tokens_(std::int64_t{floor} * 1000) {}

  void on_call();
  bool try_retry();

 private:
  std::mutex mu_;
  std::int64_t per_call_;
  std::int64_t cap_;
  std::int64_t tokens_;
};

// The delay before retry `attempt` (1-based): 50 ms · 2^(attempt-1), full jitter, at most 1 s.
std::chrono::milliseconds retry_delay(int attempt);

}  // namespace mcpgate::http
