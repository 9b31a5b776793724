#include "http/resilience.hpp"

#include <algorithm>
#include <random>

namespace mcpgate::http {

CircuitBreaker::CircuitBreaker(BreakerOptions options, SteadyClock clock)
    : options_(options), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point CircuitBreaker::now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

bool CircuitBreaker::allow() {
  std::lock_guard lock(mu_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now() - opened_at_ < options_.open_for) {
        return false;
      }
      state_ = State::kHalfOpen;
      probing_ = true;
      return true;  // this call is the probe
    case State::kHalfOpen:
      if (probing_) {
        return false;
      }
      probing_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  std::lock_guard lock(mu_);
  state_ = State::kClosed;
  failures_ = 0;
  probing_ = false;
}

void CircuitBreaker::on_failure() {
  std::lock_guard lock(mu_);
  probing_ = false;
  if (state_ == State::kHalfOpen) {
    state_ = State::kOpen;
    opened_at_ = now();
    return;
  }
  if (state_ == State::kClosed && ++failures_ >= options_.failure_threshold) {
    state_ = State::kOpen;
    opened_at_ = now();
  }
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

const char* to_string(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half_open";
  }
  return "?";
}

void RetryBudget::on_call() {
  std::lock_guard lock(mu_);
  tokens_ = std::min(cap_, tokens_ + per_call_);
}

bool RetryBudget::try_retry() {
  std::lock_guard lock(mu_);
  if (tokens_ < 1000) {
    return false;
  }
  tokens_ -= 1000;
  return true;
}

std::chrono::milliseconds retry_delay(int attempt) {
  const int shift = std::clamp(attempt - 1, 0, 10);
  const long ceiling = std::min<long>(1000, 50L << shift);
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<long> dist(0, ceiling);
  return std::chrono::milliseconds(dist(rng));
}

}  // namespace mcpgate::http
