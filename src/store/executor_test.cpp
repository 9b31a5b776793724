#include "store/executor.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "core/result.hpp"

namespace mcpgate::store {
namespace {

template <class T>
T run_awaitable(asio::io_context& ioc, asio::awaitable<T> aw) {
  auto fut = asio::co_spawn(ioc, std::move(aw), asio::use_future);
  ioc.run();
  return fut.get();
}

TEST(ExecutorTest, RunsOnThePoolAndResumesOnTheCaller) {
  Executor executor(2);
  asio::io_context ioc;
  const auto caller = std::this_thread::get_id();
  auto body = [&]() -> asio::awaitable<int> {
    std::thread::id worker;
    const Result<int> r = co_await executor.run([&] {
      worker = std::this_thread::get_id();
      return Result<int>(41);
    });
    EXPECT_NE(worker, caller);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    co_return *r + 1;
  };
  EXPECT_EQ(run_awaitable(ioc, body()), 42);
}

TEST(ExecutorTest, CarriesErrorsVoidAndExceptions) {
  Executor executor(1);
  asio::io_context ioc;
  auto body = [&]() -> asio::awaitable<int> {
    const Result<std::string> r = co_await executor.run(
        [] { return Result<std::string>(make_error(ErrorCode::kNotFound, "nope")); });
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
    const Status s = co_await executor.run([] { return Status(); });
    EXPECT_TRUE(s.ok());
    int touched = 0;
    co_await executor.run([&] { touched = 7; });
    EXPECT_EQ(touched, 7);
    bool caught = false;
    try {
      co_await executor.run([]() -> int { throw std::runtime_error("boom"); });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom";
    }
    EXPECT_TRUE(caught);
    co_return 0;
  };
  EXPECT_EQ(run_awaitable(ioc, body()), 0);
}

TEST(ExecutorTest, ResumesOnTheCallersStrand) {
  Executor executor(2);
  asio::io_context ioc;
  auto strand = asio::make_strand(ioc);
  std::atomic<int> done{0};
  std::atomic<bool> all_on_strand{true};
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(
        strand,
        [&]() -> asio::awaitable<void> {
          const int v = co_await executor.run([] { return 1; });
          if (!strand.running_in_this_thread()) {
            all_on_strand = false;
          }
          done += v;
        },
        asio::detached);
  }
  std::thread t1([&] { ioc.run(); });
  std::thread t2([&] { ioc.run(); });
  t1.join();
  t2.join();
  EXPECT_EQ(done, 20);
  EXPECT_TRUE(all_on_strand);
}

// A task that owns something (here a shared_ptr, as the policy catch-up loop's task owns the
// PolicyService) is released exactly once per run, by run() and by run_every(). g++ 12 used to
// release it twice per run here (a lambda built inside a co_await expression), freeing the
// owned object under its users.
TEST(ExecutorTest, ReleasesTheTaskOncePerRun) {
  Executor executor(1);
  asio::io_context ioc;
  auto owned = std::make_shared<int>(5);
  auto body = [&]() -> asio::awaitable<int> {
    int sum = 0;
    for (int i = 0; i < 5; ++i) {
      auto task = [owned] { return *owned; };
      sum += co_await executor.run(task);
      sum += co_await executor.run(std::move(task));
    }
    std::atomic<bool> stop{false};
    int rounds = 0;
    auto every = [owned, &rounds, &stop] {
      stop = ++rounds == 4;
      return Status();
    };
    co_await executor.run_every(std::chrono::milliseconds(1), stop, std::move(every),
                                [](const Error&) {});
    sum += rounds;
    co_return sum;
  };
  EXPECT_EQ(run_awaitable(ioc, body()), 5 * 2 * 5 + 4);
  EXPECT_EQ(owned.use_count(), 1);
}

}  // namespace
}  // namespace mcpgate::store
