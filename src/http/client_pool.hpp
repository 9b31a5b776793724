#pragma once
// INTERNAL to http/client.cpp: the outbound client's idle keep-alive connections.
//
// One ConnectionPool per asio execution context (an asio service: it is created in the
// io_context the connections' sockets belong to and dies with it, so no pooled socket outlives
// its reactor — tests make an io_context per test, the process-wide default client lives forever).
//
// What may share a connection: requests with the same pool key (pool_key in client.cpp): the
// client (its CA store), scheme, host (the name TLS verifies and sends as SNI), port, address
// policy and TLS verification setting. The connection remembers the address it connected to,
// which passed that policy when that host was resolved; a request with another policy, another
// host spelling or another verification setting never gets it. Taking a connection out of the
// pool makes it the caller's alone; it comes back only when its exchange ended cleanly.
//
// Thread-safe: take/give_back/idle_count lock a mutex. A connection in the pool has no pending
// operation, so it may be handed to (or destroyed on) any thread; its I/O objects run on its own
// strand (`executor`), where the request that takes it must run its exchange.

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/asio.hpp"

namespace mcpgate::http::detail {

// One outbound connection: plain, or TLS once the handshake moved the TCP stream into `tls`.
struct OutboundConnection {
  explicit OutboundConnection(asio::any_io_executor strand)
      : executor(std::move(strand)), plain(std::in_place, executor) {}

  boost::beast::tcp_stream& lowest() { return tls ? boost::beast::get_lowest_layer(*tls) : *plain; }

  asio::any_io_executor executor;  // a strand: the executor of every I/O object below
  std::optional<boost::beast::tcp_stream> plain;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
  asio::ip::tcp::endpoint peer;  // the checked address it connected to
  // The client state whose TLS context `tls` was made from: kept alive while pooled.
  std::shared_ptr<const void> owner;
  std::chrono::steady_clock::time_point idle_since;
};

struct PoolLimits {
  std::size_t max_idle_per_origin = 0;
  std::size_t max_idle_total = 0;
  std::chrono::milliseconds idle_timeout{0};
};

class ConnectionPool final : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;  // NOLINT(readability-identifier-naming): asio's name

  explicit ConnectionPool(asio::execution_context& context);

  // The pool of `context` when one exists (nullptr otherwise: nothing was ever given back).
  static ConnectionPool* find(asio::execution_context& context);
  // The pool of `context`, created on first use. Called when a connection is given back, i.e.
  // after the context's socket services exist, so this service shuts down before them.
  static ConnectionPool& of(asio::execution_context& context);

  // The most recently returned idle connection for `pool_key` that is still usable: not idle longer
  // than the idle timeout, and showing nothing on its socket (a FIN, a reset or stray bytes the
  // server sent while it sat here mean it must not carry a request). Others are dropped.
  std::unique_ptr<OutboundConnection> take(const std::string& pool_key, const PoolLimits& limits);

  // Keeps `connection` for a later request with `pool_key`, unless a bound is reached (then it is
  // closed). The caller runs on the connection's strand and has no operation pending on it.
  void give_back(const std::string& pool_key,
                 std::unique_ptr<OutboundConnection> connection,
                 const PoolLimits& limits);

  std::size_t idle_count() const;

 private:
  void shutdown() override;
  // Moves every connection idle past the timeout into `expired` (destroyed by the caller,
  // outside the lock). Requires mu_.
  void sweep_locked(std::chrono::steady_clock::time_point now,
                    std::chrono::milliseconds idle_timeout,
                    std::vector<std::unique_ptr<OutboundConnection>>& expired);

  mutable std::mutex mu_;
  // Per key, oldest first: reuse takes from the back (the warmest connection), eviction by
  // age from the front.
  std::unordered_map<std::string, std::vector<std::unique_ptr<OutboundConnection>>> idle_;
  std::size_t total_ = 0;
  bool shut_down_ = false;
  std::chrono::steady_clock::time_point last_sweep_{};
};

}  // namespace mcpgate::http::detail
