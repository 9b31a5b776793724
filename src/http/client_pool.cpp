#include "http/client_pool.hpp"

#include <cerrno>

#include <sys/socket.h>

namespace mcpgate::http::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Whether an idle connection may carry a request: the server may have closed it while it sat
// in the pool (a FIN or RST waits in the socket), or sent bytes nobody asked for. Checked before
// reuse because afterwards a failure is ambiguous: a request the server read before the
// connection died must not be sent twice.
bool pool_connection_quiet(OutboundConnection& connection) {
  auto& socket = connection.lowest().socket();
  if (!socket.is_open()) {
    return false;
  }
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) {
    return false;  // 0: orderly close; > 0: unsolicited bytes (or a TLS alert)
  }
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace

asio::execution_context::id ConnectionPool::id;

ConnectionPool::ConnectionPool(asio::execution_context& context)
    : asio::execution_context::service(context) {}

ConnectionPool* ConnectionPool::find(asio::execution_context& context) {
  return asio::has_service<ConnectionPool>(context) ? &asio::use_service<ConnectionPool>(context)
                                                    : nullptr;
}

ConnectionPool& ConnectionPool::of(asio::execution_context& context) {
  return asio::use_service<ConnectionPool>(context);
}

std::unique_ptr<OutboundConnection> ConnectionPool::take(const std::string& pool_key,
                                                         const PoolLimits& limits) {
  std::vector<std::unique_ptr<OutboundConnection>> dropped;
  std::unique_ptr<OutboundConnection> found;
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(pool_key);
    if (it == idle_.end()) {
      return nullptr;
    }
    const Clock::time_point now = Clock::now();
    auto& list = it->second;
    while (!list.empty() && !found) {
      std::unique_ptr<OutboundConnection> c = std::move(list.back());
      list.pop_back();
      --total_;
      if (now - c->idle_since <= limits.idle_timeout && pool_connection_quiet(*c)) {
        found = std::move(c);
      } else {
        dropped.push_back(std::move(c));
      }
    }
    if (list.empty()) {
      idle_.erase(it);
    }
  }
  return found;  // `dropped` closes outside the lock
}

void ConnectionPool::give_back(const std::string& pool_key,
                               std::unique_ptr<OutboundConnection> connection,
                               const PoolLimits& limits) {
  std::vector<std::unique_ptr<OutboundConnection>> dropped;
  const Clock::time_point now = Clock::now();
  connection->idle_since = now;
  std::lock_guard lock(mu_);
  // Without a timer per connection, expired ones are found here (at most once a second) and on
  // take(): an idle socket outlives its timeout only until the client is next used.
  if (now - last_sweep_ >= std::chrono::seconds(1)) {
    last_sweep_ = now;
    sweep_locked(now, limits.idle_timeout, dropped);
  }
  if (shut_down_ || limits.max_idle_per_origin == 0 || total_ >= limits.max_idle_total) {
    dropped.push_back(std::move(connection));
    return;
  }
  auto& list = idle_[pool_key];
  if (list.size() >= limits.max_idle_per_origin) {
    dropped.push_back(std::move(connection));
    return;
  }
  list.push_back(std::move(connection));
  ++total_;
  // `dropped` is destroyed after the lock is released (declared before it).
}

std::size_t ConnectionPool::idle_count() const {
  std::lock_guard lock(mu_);
  return total_;
}

void ConnectionPool::sweep_locked(Clock::time_point now,
                                  std::chrono::milliseconds idle_timeout,
                                  std::vector<std::unique_ptr<OutboundConnection>>& expired) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    size_t keep_from = 0;
    while (keep_from < list.size() && now - list[keep_from]->idle_since > idle_timeout) {
      expired.push_back(std::move(list[keep_from]));
      ++keep_from;
    }
    list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(keep_from));
    total_ -= keep_from;
    it = list.empty() ? idle_.erase(it) : std::next(it);
  }
}

void ConnectionPool::shutdown() {
  std::unordered_map<std::string, std::vector<std::unique_ptr<OutboundConnection>>> idle;
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    idle.swap(idle_);
    total_ = 0;
  }
  // Destroyed here, while the context's reactor still exists.
}

}  // namespace mcpgate::http::detail
