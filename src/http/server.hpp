#pragma once
// Server: the HTTP/1.1 listener (plain or TLS) on Boost.Beast with C++20 coroutines.
//
// One io_context run by N threads; each connection lives on its own strand, so a connection's
// coroutine never runs on two threads at once (on the context's plain executor when the context
// is marked as run by one thread, http/single_thread.hpp). Requests on a connection are read and answered
// in order (pipelining-safe: the next request is not read before the previous answer is sent).
// Limits: head size and time (slowloris), body size and time, idle time between requests, write
// time, connection count. Errors are mapped to HTTP statuses in one place (request_checks.hpp):
// 400 malformed or ambiguous framing, 413 body too large (announced or received), 431 head too
// large, 505 other HTTP versions; a head or body that times out gets a closed connection. After
// an error answer the rest of the upload is read and dropped briefly, so the peer can read it.
// HEAD requests get the fields of the answer without its body; a stream to an HTTP/1.0 client is
// delimited by closing the connection. Over max_connections, new connections are closed at once.
//
// The io_context must outlive the Server, and the Server must outlive the io_context's run():
// stop(), then force_close() after the drain period, then let run() return.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>

#include "core/result.hpp"
#include "http/asio.hpp"
#include "http/router.hpp"
#include "http/server_options.hpp"

namespace mcpgate::http {

class Server {
 public:
  Server(asio::io_context& ioc, ServerOptions options, std::shared_ptr<const Router> router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads TLS material (when configured), binds and starts accepting. Errors name the cause.
  Status start();

  // The bound port (useful with port 0).
  uint16_t port() const { return port_; }

  bool loopback() const { return loopback_; }

  bool tls() const;

  // Graceful stop: no new connections; idle connections and open streams close now; a request
  // being received or handled is answered (with Connection: close), then its connection
  // closes. The caller closes what is left with force_close() after drain_timeout. Thread-safe;
  // the work runs on the io_context.
  void stop();
  // Closes every connection still open (the end of the drain period). Thread-safe.
  void force_close();

  size_t open_connections() const;

 public:
  struct Impl;  // public so the connection classes in server.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  bool loopback_ = false;
};

// True for 127.0.0.0/8, ::1, "localhost".
bool is_loopback_host(const std::string& host);

}  // namespace mcpgate::http
