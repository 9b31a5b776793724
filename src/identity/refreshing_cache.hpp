#pragma once
// RefreshingCache<T>: one fetched document (an IdP's discovery metadata, its JWKS) kept with an
// expiry, refreshed by one fetch at a time.
//
//   get()      the cached value while it is younger than `ttl`; otherwise a refresh.
//   refresh()  a refresh even though the value is fresh: the JWKS path calls it when a token
//              names a kid the cached set lacks (the IdP may have rotated its keys).
//
// A refresh:
//   * single flight: callers that arrive while a fetch runs wait for it and all get its result
//     (a burst of logins after a key rotation makes one request to the IdP);
//   * rate-limited: at most one fetch per `min_refetch_interval`. Inside the interval a refresh
//     answers with the cached value unchanged, so a stream of tokens with made-up kids cannot
//     turn the gate into a request amplifier against the IdP; the caller then fails closed;
//   * a failed fetch keeps the previous value in use while it is younger than `max_stale` (an
//     IdP outage does not end every sign-in at once); with no usable value the error is returned.
//
// Threading: any executor; the fetch runs on the executor of the caller that started it and
// every waiter resumes on its own executor. The cache (its shared state) may be destroyed while
// a fetch runs; an io_context torn down mid-fetch completes the waiters with kCancelled.

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "core/result.hpp"
#include "http/asio.hpp"

namespace mcpgate::identity {

struct CachePolicy {
  std::chrono::seconds ttl{3600};
  std::chrono::seconds min_refetch_interval{30};
  std::chrono::seconds max_stale{24 * 3600};
};

namespace detail {

template <class T>
class CacheWaiter {
 public:
  virtual ~CacheWaiter() = default;
  virtual void complete(Result<std::shared_ptr<const T>> result) = 0;
};

// A suspended caller: completing it posts its continuation to its own executor, and until then
// it keeps that executor's io_context from running out of work.
template <class T, class Handler>
class CacheHandlerWaiter final : public CacheWaiter<T> {
 public:
  explicit CacheHandlerWaiter(Handler handler)
      : handler_(std::move(handler)),
        work_(asio::prefer(asio::get_associated_executor(handler_),
                           asio::execution::outstanding_work_t::tracked)) {}

  void complete(Result<std::shared_ptr<const T>> result) override {
    auto ex = asio::get_associated_executor(handler_);
    asio::post(ex, [h = std::move(handler_), r = std::move(result)]() mutable { h(std::move(r)); });
  }

 private:
  Handler handler_;
  asio::any_io_executor work_;
};

template <class T>
struct CacheState {
  std::function<asio::awaitable<Result<T>>()> fetch;
  CachePolicy policy;
  std::function<std::int64_t()> now;
  const char* name = "document";  // for log lines

  std::mutex mu;
  std::shared_ptr<const T> value;                        // guarded by mu
  std::int64_t fetched_at = 0;                           // guarded by mu
  bool attempted = false;                                // guarded by mu
  std::int64_t last_attempt = 0;                         // guarded by mu
  std::optional<Error> last_error;                       // guarded by mu
  bool running = false;                                  // guarded by mu
  std::vector<std::unique_ptr<CacheWaiter<T>>> waiters;  // guarded by mu
  std::size_t fetches = 0;                               // guarded by mu

  bool fresh_locked(std::int64_t t) const { return value && t < fetched_at + policy.ttl.count(); }

  bool usable_locked(std::int64_t t) const {
    return value && t < fetched_at + policy.max_stale.count();
  }
};

// The body of one flight: decides under the lock whether to fetch at all (rate limit, a value
// refreshed meanwhile), fetches, stores.
template <class T>
asio::awaitable<Result<std::shared_ptr<const T>>> cache_refresh_work(
    std::shared_ptr<CacheState<T>> st, bool forced) {
  const std::int64_t started = st->now();
  {
    std::lock_guard lock(st->mu);
    if (!forced && st->fresh_locked(started)) {
      co_return st->value;
    }
    if (st->attempted && started - st->last_attempt < st->policy.min_refetch_interval.count()) {
      if (st->usable_locked(started)) {
        co_return st->value;
      }
      co_return st->last_error.value_or(
          make_error(ErrorCode::kUnavailable, std::string(st->name) + " is not available"));
    }
    st->attempted = true;
    st->last_attempt = started;
    ++st->fetches;
  }
  Result<T> fetched = co_await st->fetch();
  const std::int64_t done = st->now();
  std::lock_guard lock(st->mu);
  if (fetched) {
    st->value = std::make_shared<const T>(std::move(fetched).value());
    st->fetched_at = done;
    st->last_error.reset();
    co_return st->value;
  }
  st->last_error = fetched.error();
  if (st->usable_locked(done)) {
    log::warn("identity_cache_stale",
              {{"document", st->name}, {"reason", fetched.error().message}});
    co_return st->value;
  }
  co_return fetched.error();
}

// Completes every waiter of the flight exactly once, also when the leading frame is destroyed
// before it finished (io_context teardown).
template <class T>
class CacheFlightEnd {
 public:
  explicit CacheFlightEnd(std::shared_ptr<CacheState<T>> st) : st_(std::move(st)) {}

  CacheFlightEnd(const CacheFlightEnd&) = delete;
  CacheFlightEnd& operator=(const CacheFlightEnd&) = delete;

  ~CacheFlightEnd() {
    if (st_) {
      finish(make_error(ErrorCode::kCancelled, std::string(st_->name) + " fetch was cancelled"));
    }
  }

  void finish(const Result<std::shared_ptr<const T>>& result) {
    std::vector<std::unique_ptr<CacheWaiter<T>>> waiters;
    {
      std::lock_guard lock(st_->mu);
      waiters.swap(st_->waiters);
      st_->running = false;
    }
    st_.reset();
    for (auto& w : waiters) {
      w->complete(result);
    }
  }

 private:
  std::shared_ptr<CacheState<T>> st_;
};

template <class T>
asio::awaitable<void> cache_lead_flight(std::shared_ptr<CacheState<T>> st, bool forced) {
  CacheFlightEnd<T> end(st);
  Result<std::shared_ptr<const T>> result = make_error(ErrorCode::kInternal, "internal error");
  try {
    result = co_await cache_refresh_work<T>(st, forced);
  } catch (const std::exception& e) {
    log::error("identity_cache_exception", {{"document", st->name}, {"what", e.what()}});
  }
  end.finish(result);
}

// Joins the flight in progress, or starts one on the caller's executor. Not a coroutine: the
// caller co_awaits the returned awaitable at once.
template <class T>
auto cache_join_flight(std::shared_ptr<CacheState<T>> st, bool forced) {
  auto initiation = [st, forced](auto handler) {
    using Handler = decltype(handler);
    auto ex = asio::get_associated_executor(handler);
    std::unique_lock lock(st->mu);
    st->waiters.push_back(std::make_unique<CacheHandlerWaiter<T, Handler>>(std::move(handler)));
    if (st->running) {
      return;
    }
    st->running = true;
    lock.unlock();
    asio::co_spawn(ex, cache_lead_flight<T>(st, forced), [](const std::exception_ptr& e) {
      if (e) {
        log::error("identity_cache_flight_failed", {});
      }
    });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>&,
                              void(Result<std::shared_ptr<const T>>)>(std::move(initiation),
                                                                      asio::use_awaitable);
}

}  // namespace detail

template <class T>
class RefreshingCache {
 public:
  using Value = std::shared_ptr<const T>;
  using Fetcher = std::function<asio::awaitable<Result<T>>()>;

  // `fetch` produces a new value (it is called from the flight's coroutine; it must own what it
  // uses). `now` gives unix seconds. `name` labels log lines.
  RefreshingCache(Fetcher fetch,
                  CachePolicy policy,
                  std::function<std::int64_t()> now,
                  const char* name)
      : st_(std::make_shared<detail::CacheState<T>>()) {
    st_->fetch = std::move(fetch);
    st_->policy = policy;
    st_->now = std::move(now);
    st_->name = name;
  }

  // Not coroutines themselves: the returned awaitables own the shared state, not `this`.
  asio::awaitable<Result<Value>> get() const {
    {
      std::lock_guard lock(st_->mu);
      if (st_->fresh_locked(st_->now())) {
        Value v = st_->value;
        return ready(std::move(v));
      }
    }
    return detail::cache_join_flight<T>(st_, false);
  }

  asio::awaitable<Result<Value>> refresh() const { return detail::cache_join_flight<T>(st_, true); }

  // The cached value without fetching (null when there is none).
  Value peek() const {
    std::lock_guard lock(st_->mu);
    return st_->value;
  }

  // Fetches started so far.
  std::size_t fetch_count() const {
    std::lock_guard lock(st_->mu);
    return st_->fetches;
  }

 private:
  static asio::awaitable<Result<Value>> ready(Value v) { co_return v; }

  std::shared_ptr<detail::CacheState<T>> st_;
};

}  // namespace mcpgate::identity
