#include "http/resilience.hpp"

#include <gtest/gtest.h>

namespace mcpgate::http {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point t{};
  SteadyClock fn() {
    return [this] { return t; };
  }
};

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailuresAndFailsFast) {
  FakeClock clock;
  CircuitBreaker b({3, 1000ms}, clock.fn());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(b.allow());
    b.on_failure();
  }
  ASSERT_TRUE(b.allow());
  b.on_success();  // a success resets the count
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(b.allow());
    b.on_failure();
  }
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.allow());
  clock.t += 999ms;
  EXPECT_FALSE(b.allow());
}

TEST(CircuitBreakerTest, HalfOpenLetsOneProbeThroughAndItsOutcomeDecides) {
  FakeClock clock;
  CircuitBreaker b({1, 1000ms}, clock.fn());
  ASSERT_TRUE(b.allow());
  b.on_failure();
  clock.t += 1000ms;
  EXPECT_TRUE(b.allow());   // the probe
  EXPECT_FALSE(b.allow());  // others wait for it
  EXPECT_EQ(b.state(), CircuitBreaker::State::kHalfOpen);
  b.on_failure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.allow());
  clock.t += 1000ms;
  EXPECT_TRUE(b.allow());
  b.on_success();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(b.allow());
  EXPECT_TRUE(b.allow());
}

TEST(RetryBudgetTest, RetriesAreBoundedByTheCallRate) {
  RetryBudget budget(0.1, 2);
  EXPECT_TRUE(budget.try_retry());
  EXPECT_TRUE(budget.try_retry());
  EXPECT_FALSE(budget.try_retry());  // the floor is spent
  for (int i = 0; i < 10; ++i) {
    budget.on_call();
  }
  EXPECT_TRUE(budget.try_retry());  // ten calls earned one retry
  EXPECT_FALSE(budget.try_retry());
}

TEST(RetryDelayTest, GrowsAndIsCapped) {
  for (int i = 0; i < 100; ++i) {
    EXPECT_LE(retry_delay(1), 50ms);
    EXPECT_LE(retry_delay(3), 200ms);
    EXPECT_LE(retry_delay(30), 1000ms);
    EXPECT_GE(retry_delay(2), 0ms);
  }
}

}  // namespace
}  // namespace mcpgate::http
