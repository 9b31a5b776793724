#pragma once
// Exchange: one HTTP request and the means to answer it, handed by the transport to a handler.
// A handler either respond()s once, or start_stream()s a chunked response (SSE), write()s
// chunks and finish()es. All methods must be called on executor() (the connection's strand);
// work on other threads posts back to it.

#include <functional>
#include <string>

#include "http/asio.hpp"
#include "http/message.hpp"

namespace mcpgate::http {

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const Request& request() const = 0;
  // Peer address as text ("127.0.0.1", "::1").
  virtual const std::string& remote_ip() const = 0;
  // Random id for logs; also sent back as X-Request-Id.
  virtual const std::string& request_id() const = 0;
  // True when the connection is TLS.
  virtual bool secure() const = 0;
  // True when the listener is bound to a loopback address.
  virtual bool loopback_bind() const = 0;
  virtual asio::any_io_executor executor() const = 0;

  // Sends a whole response. Content-Length, X-Request-Id and keep-alive are set here.
  virtual asio::awaitable<void> respond(Response res) = 0;

  // Sends the status line and headers of a chunked response (the body of `head` is ignored).
  // Returns false when the peer is gone.
  virtual asio::awaitable<bool> start_stream(Response head) = 0;
  // Sends one chunk. Returns false when the peer is gone (the stream is then dead).
  virtual asio::awaitable<bool> write(std::string data) = 0;
  // Ends the chunked body. The connection may serve further requests afterwards.
  virtual asio::awaitable<void> finish() = 0;

  // While a stream is open the transport watches the socket: `fn` runs (on executor()) once when
  // the peer closes it. Used to treat a closed SSE stream as cancellation.
  virtual void on_peer_closed(std::function<void()> fn) = 0;
  virtual bool peer_closed() const = 0;
};

using Handler = std::function<asio::awaitable<void>(Exchange&)>;

}  // namespace mcpgate::http
