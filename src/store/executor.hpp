#pragma once
// store::Executor: where blocking store calls run. A network coroutine hands a callable to
// run(); it executes on a small dedicated thread pool, and the coroutine resumes on its own
// executor (its strand) with the result. Network threads never block on the database.
//
//   auto client = co_await executor.run([&] { return store.find_client(id); });
//
// Capturing the caller's locals by reference is fine: the caller is suspended until the call
// returns. Exceptions thrown by the callable are rethrown at the co_await.
//
// Size the pool like the database connection pool (SQLite: readers + 1). The pool also bounds
// how many Argon2 verifications (19 MiB each) run at once when logins go through it.
// The Executor must outlive every run() in flight; its destructor waits for queued work.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/thread_pool.hpp>

#include "http/asio.hpp"  // the project's one way to Asio (it carries the g++ 12 <utility> fix)

namespace mcpgate::store {

class Executor {
 public:
  explicit Executor(std::size_t threads) : pool_(threads == 0 ? 1 : threads) {}

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  ~Executor() { pool_.join(); }

  // (The lambdas handed to co_spawn are named first: g++ 12 destroys the captures of a lambda
  // written inside a co_await expression twice, see tests/lint/coawait_lambda_lint.cpp.)
  template <class F>
  asio::awaitable<std::invoke_result_t<F&>> run(F f) {
    using R = std::invoke_result_t<F&>;
    if constexpr (std::is_void_v<R>) {
      auto on_pool = [fn = std::move(f)]() mutable -> asio::awaitable<void> {
        fn();
        co_return;
      };
      co_await asio::co_spawn(pool_.get_executor(), std::move(on_pool), asio::use_awaitable);
    } else {
      // Boost 1.74's co_spawn default-constructs the result on the error path, and Result<T>
      // has no default constructor: carry it in an optional.
      auto on_pool = [fn = std::move(f)]() mutable -> asio::awaitable<std::optional<R>> {
        co_return std::optional<R>(fn());
      };
      std::optional<R> out =
          co_await asio::co_spawn(pool_.get_executor(), std::move(on_pool), asio::use_awaitable);
      co_return std::move(*out);
    }
  }

  // Queues `f` on the pool without waiting for it (fire and forget: f handles its own errors).
  template <class F>
  void post(F f) {
    asio::post(pool_, std::move(f));
  }

  // Stops accepting work and waits for queued work to finish.
  void join() { pool_.join(); }

  // Runs the blocking `task` (returning Status) on the pool every `period` until `stop` is set
  // (checked before each run; a pending wait ends at most one period later). Failures go to
  // `on_error` and the loop goes on. Upkeep loops (key refresh, revocation polls) use it.
  template <class Task, class OnError>
  asio::awaitable<void> run_every(std::chrono::milliseconds period,
                                  const std::atomic<bool>& stop,
                                  Task task,
                                  OnError on_error) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!stop.load()) {
      timer.expires_after(period);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stop.load()) {
        break;
      }
      auto st = co_await run(task);
      if (!st) {
        on_error(st.error());
      }
    }
  }

 private:
  asio::thread_pool pool_;
};

}  // namespace mcpgate::store
