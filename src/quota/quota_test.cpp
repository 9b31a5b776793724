#include "quota/quota.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mcpgate::quota {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

// A clock the test moves by hand.
struct FakeClock {
  TimePoint now = TimePoint(1000h);

  QuotaLimiter::Clock fn() {
    return [this] {
      return now;
    };
  }
};

QuotaRule per_user(std::string name, std::uint32_t rate, std::uint32_t concurrent = 0) {
  QuotaRule r;
  r.name = std::move(name);
  r.per_user = true;
  r.calls_per_minute = rate;
  r.max_concurrent = concurrent;
  return r;
}

// prefix + i, appended (g++ 12 -O3 reports a false -Wrestrict on "prefix" + std::to_string(i)).
std::string numbered(const char* prefix, int i) {
  std::string out = prefix;
  out += std::to_string(i);
  return out;
}

bool allowed(const std::variant<QuotaLease, QuotaDecision>& v) {
  return std::holds_alternative<QuotaLease>(v);
}

QuotaDecision refusal(const std::variant<QuotaLease, QuotaDecision>& v) {
  return std::holds_alternative<QuotaDecision>(v) ? std::get<QuotaDecision>(v)
                                                  : QuotaDecision{.allowed = true};
}

TEST(QuotaLimiterTest, TokenBucketBurstsThenRefillsExactly) {
  FakeClock clock;
  QuotaLimiter limiter({per_user("u60", 60)}, clock.fn());
  const QuotaKey alice{.user = "alice", .client = "c", .tool = "t"};
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(allowed(limiter.acquire(alice))) << i;
  }
  auto d = refusal(limiter.acquire(alice));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "u60");
  EXPECT_EQ(d.limit, QuotaLimit::kRate);
  EXPECT_EQ(d.retry_after, 1000ms);  // one token per second

  clock.now += 999ms;
  EXPECT_EQ(refusal(limiter.acquire(alice)).retry_after, 1ms);
  clock.now += 1ms;
  EXPECT_TRUE(allowed(limiter.acquire(alice)));
  EXPECT_EQ(refusal(limiter.acquire(alice)).retry_after, 1000ms);

  // Another user has a bucket of their own.
  EXPECT_TRUE(allowed(limiter.acquire({.user = "bob"})));

  // A full minute refills the whole bucket, and no more than that.
  clock.now += 10min;
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(allowed(limiter.acquire(alice))) << i;
  }
  EXPECT_FALSE(allowed(limiter.acquire(alice)));
}

TEST(QuotaLimiterTest, FractionalRefillRate) {
  FakeClock clock;
  QuotaLimiter limiter({per_user("u120", 120)}, clock.fn());
  for (int i = 0; i < 120; ++i) {
    ASSERT_TRUE(allowed(limiter.acquire({.user = "a"})));
  }
  EXPECT_EQ(refusal(limiter.acquire({.user = "a"})).retry_after, 500ms);
  clock.now += 1500ms;  // three tokens
  EXPECT_TRUE(allowed(limiter.acquire({.user = "a"})));
  EXPECT_TRUE(allowed(limiter.acquire({.user = "a"})));
  EXPECT_TRUE(allowed(limiter.acquire({.user = "a"})));
  EXPECT_FALSE(allowed(limiter.acquire({.user = "a"})));
}

TEST(QuotaLimiterTest, LeasesHoldConcurrencySlotsUntilReleased) {
  FakeClock clock;
  QuotaLimiter limiter({per_user("conc", 0, 2)}, clock.fn());
  const QuotaKey k{.user = "alice"};
  auto a = limiter.acquire(k);
  auto b = limiter.acquire(k);
  ASSERT_TRUE(allowed(a) && allowed(b));
  auto d = refusal(limiter.acquire(k));
  EXPECT_EQ(d.limit, QuotaLimit::kConcurrency);
  EXPECT_EQ(d.rule, "conc");
  EXPECT_EQ(d.retry_after, 1000ms);

  // Moving a lease moves the slot; the moved-from lease releases nothing.
  QuotaLease moved = std::move(std::get<QuotaLease>(a));
  a = QuotaDecision{};
  EXPECT_FALSE(allowed(limiter.acquire(k)));
  moved.release();
  moved.release();  // idempotent
  auto c = limiter.acquire(k);
  EXPECT_TRUE(allowed(c));
  EXPECT_FALSE(allowed(limiter.acquire(k)));

  // Move assignment releases what the target held.
  std::get<QuotaLease>(b) = std::move(std::get<QuotaLease>(c));
  EXPECT_TRUE(allowed(limiter.acquire(k)));  // taken and dropped at once
  b = QuotaDecision{};
  c = QuotaDecision{};
  EXPECT_EQ(limiter.tracked_keys(0), 0u);  // a concurrency-only key is forgotten when idle
}

TEST(QuotaLimiterTest, LeaseMayOutliveTheLimiter) {
  std::variant<QuotaLease, QuotaDecision> lease;
  {
    QuotaLimiter limiter({per_user("conc", 0, 1)});
    lease = limiter.acquire({.user = "u"});
    ASSERT_TRUE(allowed(lease));
  }
  lease = QuotaDecision{};  // releases into the state the lease keeps alive
}

TEST(QuotaLimiterTest, FirstRefusingRuleIsReportedAndNothingIsTakenOnRefusal) {
  FakeClock clock;
  QuotaRule everything;
  everything.name = "everything";
  everything.per_user = true;
  everything.per_tool = true;
  everything.match_tool = "everything__*";
  everything.calls_per_minute = 1;
  QuotaLimiter limiter({per_user("user", 3), everything}, clock.fn());

  const QuotaKey echo{.user = "a", .tool = "everything__echo"};
  const QuotaKey other{.user = "a", .tool = "other"};
  EXPECT_TRUE(allowed(limiter.acquire(echo)));  // user 2 left, everything 0 left
  auto d = refusal(limiter.acquire(echo));
  EXPECT_EQ(d.rule, "everything");
  EXPECT_EQ(d.retry_after, 60000ms);
  // The refused call took nothing from "user": two calls still fit there.
  EXPECT_TRUE(allowed(limiter.acquire(other)));
  EXPECT_TRUE(allowed(limiter.acquire(other)));
  d = refusal(limiter.acquire(other));
  EXPECT_EQ(d.rule, "user");
  EXPECT_EQ(d.retry_after, 20000ms);
  // Both refuse now: the first in configuration order is reported.
  EXPECT_EQ(refusal(limiter.acquire(echo)).rule, "user");
}

TEST(QuotaLimiterTest, ToolMatchIsExactOrPrefix) {
  QuotaRule r;
  EXPECT_TRUE(r.applies_to("anything"));
  r.match_tool = "everything__*";
  EXPECT_TRUE(r.applies_to("everything__echo"));
  EXPECT_TRUE(r.applies_to("everything__"));
  EXPECT_FALSE(r.applies_to("everything_echo"));
  EXPECT_FALSE(r.applies_to("other"));
  r.match_tool = "fs__read";
  EXPECT_TRUE(r.applies_to("fs__read"));
  EXPECT_FALSE(r.applies_to("fs__read2"));
  EXPECT_FALSE(r.applies_to("fs__rea"));
}

TEST(QuotaLimiterTest, KeyPartsAreKeptApartAndEmptyPerIsGlobal) {
  FakeClock clock;
  QuotaRule pair;
  pair.name = "pair";
  pair.per_user = true;
  pair.per_client = true;
  pair.calls_per_minute = 1;
  QuotaRule global;
  global.name = "global";
  global.calls_per_minute = 3;
  QuotaLimiter limiter({pair, global}, clock.fn());
  // ("ab", "c") and ("a", "bc") concatenate alike but are different callers.
  EXPECT_TRUE(allowed(limiter.acquire({.user = "ab", .client = "c"})));
  EXPECT_TRUE(allowed(limiter.acquire({.user = "a", .client = "bc"})));
  EXPECT_EQ(refusal(limiter.acquire({.user = "ab", .client = "c"})).rule, "pair");
  EXPECT_TRUE(allowed(limiter.acquire({.user = "x", .client = "y"})));
  EXPECT_EQ(refusal(limiter.acquire({.user = "z", .client = "w"})).rule, "global");
}

TEST(QuotaLimiterTest, IdleKeysAreEvictedUnderChurn) {
  FakeClock clock;
  QuotaRule r = per_user("churn", 60);
  r.max_keys = 160;  // 10 per shard
  QuotaLimiter limiter({r}, clock.fn());
  // Every key is used once and idle a second later: the table never outgrows its cap and
  // nobody is refused.
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(allowed(limiter.acquire({.user = numbered("u", i)}))) << i;
    clock.now += 1100ms;
    ASSERT_LE(limiter.tracked_keys(0), 160u);
  }
}

TEST(QuotaLimiterTest, FullTableFailsClosedForNewKeysOnly) {
  FakeClock clock;
  QuotaRule r = per_user("churn", 60);
  r.max_keys = 160;
  QuotaLimiter limiter({r}, clock.fn());
  int refused = 0;
  std::vector<std::string> admitted;
  for (int i = 0; i < 2000; ++i) {  // all within the same instant: no key becomes idle
    const std::string user = numbered("hostile", i);
    auto v = limiter.acquire({.user = user});
    if (allowed(v)) {
      admitted.push_back(user);
    } else {
      const auto d = refusal(v);
      EXPECT_EQ(d.limit, QuotaLimit::kKeyCapacity);
      EXPECT_EQ(d.retry_after, 1000ms);
      ++refused;
    }
  }
  EXPECT_LE(limiter.tracked_keys(0), 160u);
  EXPECT_EQ(admitted.size(), limiter.tracked_keys(0));
  EXPECT_GT(refused, 1800);
  // Keys already tracked keep their budget.
  ASSERT_FALSE(admitted.empty());
  EXPECT_TRUE(allowed(limiter.acquire({.user = admitted.front()})));
  // Once the buckets have refilled, new keys get in again.
  clock.now += 2s;
  EXPECT_TRUE(allowed(limiter.acquire({.user = "newcomer"})));
}

TEST(QuotaLimiterTest, ThreadsNeverExceedMaxConcurrent) {
  QuotaRule per_user_rule = per_user("per-user", 0, 3);
  QuotaRule global;
  global.name = "global";
  global.max_concurrent = 5;
  QuotaLimiter limiter({per_user_rule, global});
  std::atomic<int> alice_now{0};
  std::atomic<int> alice_max{0};
  std::atomic<int> all_now{0};
  std::atomic<int> all_max{0};
  std::atomic<int> admitted{0};
  auto bump_max = [](std::atomic<int>& max, int v) {
    int seen = max.load();
    while (v > seen && !max.compare_exchange_weak(seen, v)) {
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const bool is_alice = t % 2 == 0;
      const std::string user = is_alice ? std::string("alice") : numbered("user", t);
      const QuotaKey key{.user = user};
      for (int i = 0; i < 3000; ++i) {
        auto v = limiter.acquire(key);
        if (!allowed(v)) {
          continue;
        }
        ++admitted;
        bump_max(all_max, ++all_now);
        if (is_alice) {
          bump_max(alice_max, ++alice_now);
        }
        std::this_thread::yield();
        if (is_alice) {
          --alice_now;
        }
        --all_now;  // before the lease goes, so the counters never run ahead of the slots
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_LE(alice_max.load(), 3);
  EXPECT_LE(all_max.load(), 5);
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(limiter.tracked_keys(0), 0u);
  EXPECT_EQ(limiter.tracked_keys(1), 0u);
}

}  // namespace
}  // namespace mcpgate::quota
