// RefreshingCache: expiry, single flight, the refetch rate limit, stale use on failure.
#include "identity/refreshing_cache.hpp"

#include <atomic>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include "identity/test_support.hpp"

namespace mcpgate::identity {
namespace {

struct CacheProbe {
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  std::chrono::milliseconds latency{0};
};

asio::awaitable<Result<int>> cache_probe_fetch(std::shared_ptr<CacheProbe> probe) {
  const int n = ++probe->calls;
  if (probe->latency.count() > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor, probe->latency);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (probe->fail) {
    co_return make_error(ErrorCode::kUnavailable, "provider down");
  }
  co_return n;
}

struct CacheFixture {
  std::shared_ptr<CacheProbe> probe = std::make_shared<CacheProbe>();
  testing::TestClock clock;
  RefreshingCache<int> cache{
      [p = probe]() { return cache_probe_fetch(p); },
      CachePolicy{std::chrono::seconds(100), std::chrono::seconds(30), std::chrono::seconds(1000)},
      clock.fn(),
      "test document"};

  Result<std::shared_ptr<const int>> get() { return http::testing::run_awaitable(cache.get()); }

  Result<std::shared_ptr<const int>> refresh() {
    return http::testing::run_awaitable(cache.refresh());
  }
};

TEST(RefreshingCacheTest, ServesTheCachedValueUntilItExpires) {
  CacheFixture f;
  EXPECT_EQ(*f.get().value(), 1);
  EXPECT_EQ(*f.get().value(), 1);
  f.clock.advance(99);
  EXPECT_EQ(*f.get().value(), 1);
  f.clock.advance(2);
  EXPECT_EQ(*f.get().value(), 2);
  EXPECT_EQ(f.cache.fetch_count(), 2U);
}

TEST(RefreshingCacheTest, RefreshIsRateLimited) {
  CacheFixture f;
  EXPECT_EQ(*f.get().value(), 1);
  // Inside the interval a forced refresh answers with the cached value and fetches nothing.
  EXPECT_EQ(*f.refresh().value(), 1);
  f.clock.advance(29);
  EXPECT_EQ(*f.refresh().value(), 1);
  EXPECT_EQ(f.probe->calls.load(), 1);
  f.clock.advance(1);
  EXPECT_EQ(*f.refresh().value(), 2);
  EXPECT_EQ(*f.refresh().value(), 2);
  EXPECT_EQ(f.probe->calls.load(), 2);
}

TEST(RefreshingCacheTest, ConcurrentCallersShareOneFetch) {
  CacheFixture f;
  f.probe->latency = std::chrono::milliseconds(50);
  asio::io_context ioc;
  std::vector<std::shared_ptr<const int>> seen;
  std::mutex mu;
  for (int i = 0; i < 20; ++i) {
    auto task = [&f, &seen, &mu, i]() -> asio::awaitable<void> {
      Result<std::shared_ptr<const int>> r = make_error(ErrorCode::kInternal, "unset");
      if (i % 2 == 0) {
        r = co_await f.cache.get();
      } else {
        r = co_await f.cache.refresh();
      }
      std::lock_guard lock(mu);
      seen.push_back(r ? *r : nullptr);
    };
    asio::co_spawn(ioc, task, asio::detached);
  }
  ioc.run();
  ASSERT_EQ(seen.size(), 20U);
  for (const auto& v : seen) {
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(*v, 1);
  }
  EXPECT_EQ(f.probe->calls.load(), 1);
}

TEST(RefreshingCacheTest, ConcurrentCallersOnManyThreadsShareOneFetch) {
  CacheFixture f;
  f.probe->latency = std::chrono::milliseconds(50);
  asio::thread_pool pool(4);
  std::atomic<int> ok{0};
  for (int i = 0; i < 50; ++i) {
    auto task = [&f, &ok]() -> asio::awaitable<void> {
      Result<std::shared_ptr<const int>> r = co_await f.cache.refresh();
      if (r && **r == 1) {
        ++ok;
      }
    };
    asio::co_spawn(asio::make_strand(pool), task, asio::detached);
  }
  pool.join();
  EXPECT_EQ(ok.load(), 50);
  EXPECT_EQ(f.probe->calls.load(), 1);
}

TEST(RefreshingCacheTest, AFailedFetchKeepsTheLastValueUntilMaxStale) {
  CacheFixture f;
  EXPECT_EQ(*f.get().value(), 1);
  f.probe->fail = true;
  f.clock.advance(150);  // expired, still within max_stale
  EXPECT_EQ(*f.get().value(), 1);
  EXPECT_EQ(f.probe->calls.load(), 2);
  // The failing provider is not asked again inside the interval.
  EXPECT_EQ(*f.get().value(), 1);
  EXPECT_EQ(f.probe->calls.load(), 2);
  f.clock.advance(1000);  // beyond max_stale: the error shows
  const auto r = f.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  f.probe->fail = false;
  f.clock.advance(31);
  EXPECT_EQ(*f.get().value(), 4);
}

TEST(RefreshingCacheTest, WithoutAValueAFailureIsReturnedAndRetriedAfterTheInterval) {
  CacheFixture f;
  f.probe->fail = true;
  EXPECT_FALSE(f.get().ok());
  EXPECT_FALSE(f.get().ok());
  EXPECT_EQ(f.probe->calls.load(), 1);
  f.probe->fail = false;
  f.clock.advance(30);
  EXPECT_EQ(*f.get().value(), 2);
  EXPECT_NE(f.cache.peek(), nullptr);
}

}  // namespace
}  // namespace mcpgate::identity
