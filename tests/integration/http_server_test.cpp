// The HTTP/1.1 server over real loopback sockets: the real http::Server on 127.0.0.1 port 0, a
// test Router, and hand-written clients (raw bytes in, Beast's parser out) so that framing,
// limits, timeouts, streaming, shutdown and TLS are checked the way a peer on the wire sees them.

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/asio.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace mcpgate::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr milliseconds kIoTimeout = 5s;

milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// Polls `pred` until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& pred, milliseconds timeout = kIoTimeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

bool is_closed_error(const beast::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset
         || ec == asio::error::broken_pipe || ec == bhttp::error::end_of_stream
         || ec == bhttp::error::partial_message || ec == ssl::error::stream_truncated;
}

// ---- what the handlers saw ----------------------------------------------------------------------

struct Probe {
  std::atomic<bool> slow_started{false};
  std::atomic<int> slow_finished{0};
  milliseconds slow_for{600};
  std::atomic<bool> watch_started{false};
  std::atomic<int> peer_closed_calls{0};
  std::atomic<int> write_after_close{-1};  // -1: not yet; 0: returned false; 1: returned true
  std::atomic<bool> peer_closed_flag{false};
  std::atomic<int> stale_callback_calls{0};
  std::atomic<int> stream_writes_ok{0};
};

Response text(std::string body) {
  return make_response(StatusCode::ok, std::move(body), "text/plain");
}

std::shared_ptr<Router> make_router(const std::shared_ptr<Probe>& probe) {
  auto router = std::make_shared<Router>();

  // "<target>|<body>": shows which request an answer belongs to.
  auto echo = [](Exchange& ex) -> asio::awaitable<void> {
    co_await ex.respond(text(std::string(ex.request().target()) + "|" + ex.request().body()));
  };
  router->add("/echo", echo);
  router->add_prefix("/p/", echo);

  router->add("/info", [](Exchange& ex) -> asio::awaitable<void> {
    const std::string info = ex.remote_ip() + " " + (ex.secure() ? "tls" : "plain") + " "
                             + (ex.loopback_bind() ? "loopback" : "public");
    co_await ex.respond(text(info));
  });

  // Answers after probe->slow_for; a closed connection cuts the wait short.
  router->add("/slow", [probe](Exchange& ex) -> asio::awaitable<void> {
    probe->slow_started = true;
    asio::steady_timer timer(ex.executor(), probe->slow_for);
    ex.on_peer_closed([&timer] { timer.cancel(); });
    beast::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_await ex.respond(text("slow done"));
    ++probe->slow_finished;
  });

  // A chunked stream; the empty write must not end the body early.
  router->add("/stream", [probe](Exchange& ex) -> asio::awaitable<void> {
    ex.on_peer_closed([probe] { ++probe->stale_callback_calls; });
    if (!co_await ex.start_stream(make_response(StatusCode::ok, "", "text/event-stream"))) {
      co_return;
    }
    for (const char* chunk : {"one", "", "two", "three"}) {
      if (co_await ex.write(chunk)) {
        ++probe->stream_writes_ok;
      }
    }
    co_await ex.finish();
  });

  // Streams until the peer goes away, then records what the exchange reported.
  router->add("/watch", [probe](Exchange& ex) -> asio::awaitable<void> {
    if (!co_await ex.start_stream(make_response(StatusCode::ok, "", "text/event-stream"))) {
      co_return;
    }
    asio::steady_timer timer(ex.executor(), 10s);
    ex.on_peer_closed([&timer, probe] {
      ++probe->peer_closed_calls;
      timer.cancel();
    });
    co_await ex.write("hello\n");
    probe->watch_started = true;
    // The close may have come while the write was under way, when there was no wait to cancel.
    if (!ex.peer_closed()) {
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    probe->peer_closed_flag = ex.peer_closed();
    const bool ok = co_await ex.write("after\n");
    probe->write_after_close = ok ? 1 : 0;
  });

  // A body far larger than the socket buffers, for clients that do not read.
  router->add("/big", [](Exchange& ex) -> asio::awaitable<void> {
    co_await ex.respond(text(std::string(32 * 1024 * 1024, 'b')));
  });

  router->add("/throw", [](Exchange&) -> asio::awaitable<void> {
    throw std::runtime_error("handler bug");
    co_return;
  });
  router->add("/silent", [](Exchange&) -> asio::awaitable<void> { co_return; });
  return router;
}

// ---- the server under test ----------------------------------------------------------------------

class TestServer {
 public:
  explicit TestServer(ServerOptions options,
                      std::shared_ptr<Probe> probe = std::make_shared<Probe>())
      : probe_(std::move(probe)), work_(asio::make_work_guard(ioc_)) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_.emplace(ioc_, std::move(options), make_router(probe_));
    const Status st = server_->start();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }

  ~TestServer() {
    server_->stop();
    server_->force_close();
    EXPECT_TRUE(wait_until([this] { return server_->open_connections() == 0; }))
        << server_->open_connections() << " connections still open at teardown";
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
    server_.reset();
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  uint16_t port() const { return server_->port(); }

  Server& server() { return *server_; }

  Probe& probe() { return *probe_; }

 private:
  std::shared_ptr<Probe> probe_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::optional<Server> server_;
  std::vector<std::thread> threads_;
};

ServerOptions fast_options() {
  ServerOptions o;
  o.max_body_bytes = 1024;
  o.max_header_bytes = 1024;
  o.header_timeout = 2s;
  o.body_timeout = 2s;
  o.idle_timeout = 5s;
  o.write_timeout = 2s;
  return o;
}

// ---- clients ------------------------------------------------------------------------------------

struct Reply {
  beast::error_code ec;
  Response res;
  bool chunked = false;
  std::vector<std::uint64_t> chunk_sizes;  // as announced on the wire, the last chunk (0) included
};

// A blocking client over Asio (plain or TLS); every operation has a deadline.
class Client {
 public:
  explicit Client(uint16_t port, ssl::context* tls = nullptr) : port_(port) {
    if (tls != nullptr) {
      tls_.emplace(ioc_, *tls);
    } else {
      plain_.emplace(ioc_);
    }
  }

  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  beast::ssl_stream<beast::tcp_stream>* tls_stream() { return tls_ ? &*tls_ : nullptr; }

  beast::error_code connect() {
    tcp().expires_after(kIoTimeout);
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port_);
    beast::error_code ec = run([&](auto done) { tcp().async_connect(ep, done); });
    if (!ec && tls_) {
      tcp().expires_after(kIoTimeout);
      ec = run([&](auto done) { tls_->async_handshake(ssl::stream_base::client, done); });
    }
    return ec;
  }

  beast::error_code send(std::string_view bytes) {
    tcp().expires_after(kIoTimeout);
    return with_stream([&](auto& s) {
      return run([&](auto done) { asio::async_write(s, asio::buffer(bytes), done); });
    });
  }

  Reply read(milliseconds timeout = kIoTimeout, bool head_request = false) {
    Reply r;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head_request);
    auto on_chunk = [&r](std::uint64_t size, std::string_view, beast::error_code&) {
      r.chunk_sizes.push_back(size);
    };
    parser.on_chunk_header(on_chunk);
    tcp().expires_after(timeout);
    r.ec = with_stream([&](auto& s) {
      return run([&](auto done) { bhttp::async_read(s, buffer_, parser, done); });
    });
    r.chunked = parser.is_header_done() && parser.chunked();
    r.res = parser.release();
    return r;
  }

  // Reads whatever comes until the server ends the connection. Returns eof/reset when it did,
  // beast::error::timeout when it stayed open for `timeout`.
  beast::error_code wait_closed(milliseconds timeout, std::string* data = nullptr) {
    tcp().expires_after(timeout);
    beast::error_code ec;
    while (!ec) {
      std::size_t n = 0;
      ec = with_stream([&](auto& s) {
        return run([&](auto done) {
          s.async_read_some(buffer_.prepare(4096), [&n, done](beast::error_code e, std::size_t k) {
            n = k;
            done(e);
          });
        });
      });
      buffer_.commit(n);
    }
    if (data != nullptr) {
      *data = beast::buffers_to_string(buffer_.data());
    }
    buffer_.consume(buffer_.size());
    return ec;
  }

  // Reads until the received bytes contain `needle` (and returns true) or the deadline passes.
  bool read_until(std::string_view needle, milliseconds timeout = kIoTimeout) {
    tcp().expires_after(timeout);
    while (beast::buffers_to_string(buffer_.data()).find(needle) == std::string::npos) {
      std::size_t n = 0;
      const beast::error_code ec = with_stream([&](auto& s) {
        return run([&](auto done) {
          s.async_read_some(buffer_.prepare(4096), [&n, done](beast::error_code e, std::size_t k) {
            n = k;
            done(e);
          });
        });
      });
      buffer_.commit(n);
      if (ec) {
        return false;
      }
    }
    return true;
  }

  // True when nothing arrives and the connection stays open for `wait` (unlike a timed-out
  // read, this leaves the socket usable).
  bool quiet_for(milliseconds wait) {
    if (buffer_.size() != 0) {
      return false;
    }
    pollfd p{tcp().socket().native_handle(), POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) == 0;
  }

  // TLS close_notify, waiting at most `timeout` for the server's; then the socket is closed.
  void tls_shutdown(milliseconds timeout) {
    tcp().expires_after(timeout);
    [[maybe_unused]] const beast::error_code ec =
        run([&](auto done) { tls_->async_shutdown(done); });
    close();
  }

  void close() {
    beast::error_code ec;
    tcp().socket().close(ec);
  }

 private:
  // Starts one async operation and runs the private io_context until it completes.
  template <class Start>
  beast::error_code run(Start start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  template <class Fn>
  beast::error_code with_stream(Fn fn) {
    if (tls_) {
      return fn(*tls_);
    }
    return fn(*plain_);
  }

  asio::io_context ioc_;
  uint16_t port_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

std::string http_get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers)
         + "\r\n";
}

std::string http_post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: test\r\nContent-Length: "
         + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// One GET on a fresh connection.
Reply fetch(uint16_t port, std::string_view target, ssl::context* tls = nullptr) {
  Client c(port, tls);
  Reply r;
  r.ec = c.connect();
  if (r.ec) {
    return r;
  }
  r.ec = c.send(http_get(target));
  if (r.ec) {
    return r;
  }
  return c.read();
}

// ---- client address behind reverse proxies --------------------------------------------------------

// X-Forwarded-For names the client only when the peer is a configured proxy, read from the right;
// otherwise (and by default) the header changes nothing.
TEST(HttpServerTest, ClientAddressComesFromTrustedProxiesOnly) {
  auto info = [](uint16_t port, std::string_view headers) {
    Client c(port);
    EXPECT_FALSE(c.connect());
    EXPECT_FALSE(c.send(http_get("/info", headers)));
    Reply r = c.read();
    EXPECT_FALSE(r.ec) << r.ec.message();
    const std::string body = r.res.body();
    return body.substr(0, body.find(' '));
  };
  {
    TestServer ts(fast_options());  // no trusted proxies
    EXPECT_EQ(info(ts.port(), "X-Forwarded-For: 203.0.113.7\r\n"), "127.0.0.1");
  }
  {
    ServerOptions o = fast_options();
    o.trusted_proxies = {"10.0.0.0/8"};  // the peer (127.0.0.1) is not among them
    TestServer ts(o);
    EXPECT_EQ(info(ts.port(), "X-Forwarded-For: 203.0.113.7\r\n"), "127.0.0.1");
  }
  {
    ServerOptions o = fast_options();
    o.trusted_proxies = {"127.0.0.1", "10.0.0.0/8"};
    TestServer ts(o);
    EXPECT_EQ(info(ts.port(), ""), "127.0.0.1");
    EXPECT_EQ(info(ts.port(), "X-Forwarded-For: 203.0.113.7\r\n"), "203.0.113.7");
    // A spoofed entry on the left, two fields (joined in order), a trusted hop on the right.
    EXPECT_EQ(info(ts.port(), "X-Forwarded-For: 6.6.6.6, 198.51.100.4\r\nX-Forwarded-For: 10.1.2.3\r\n"),
              "198.51.100.4");
    EXPECT_EQ(info(ts.port(), "X-Forwarded-For: not-an-address\r\n"), "127.0.0.1");
  }
}

TEST(HttpServerTest, MalformedTrustedProxiesRefuseToStart) {
  asio::io_context ioc;
  ServerOptions o = fast_options();
  o.host = "127.0.0.1";
  o.port = 0;
  o.trusted_proxies = {"10.0.0.0/33"};
  Server server(ioc, o, std::make_shared<Router>());
  const Status st = server.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("trusted_proxies"), std::string::npos) << st.error().message;
}

// ---- keep-alive and pipelining ------------------------------------------------------------------

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  for (int i = 0; i < 5; ++i) {
    const std::string body = "request " + std::to_string(i);
    ASSERT_FALSE(c.send(http_post("/echo", body)));
    Reply r = c.read();
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), StatusCode::ok);
    EXPECT_EQ(r.res.body(), "/echo|" + body);
    EXPECT_TRUE(r.res.keep_alive());
    EXPECT_FALSE(r.res["X-Request-Id"].empty());
    EXPECT_EQ(r.res["X-Content-Type-Options"], "nosniff");
  }
  EXPECT_EQ(ts.server().open_connections(), 1u);
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  // Three requests in one write, one of them with a body.
  ASSERT_FALSE(
      c.send(http_get("/p/first") + http_post("/p/second", "payload") + http_get("/p/third")));
  for (const char* want : {"/p/first|", "/p/second|payload", "/p/third|"}) {
    Reply r = c.read();
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.body(), want);
  }
  // A request ending with Connection: close is the last one answered.
  ASSERT_FALSE(
      c.send(http_get("/p/a") + http_get("/p/b", "Connection: close\r\n") + http_get("/p/c")));
  EXPECT_EQ(c.read().res.body(), "/p/a|");
  Reply last = c.read();
  EXPECT_EQ(last.res.body(), "/p/b|");
  EXPECT_FALSE(last.res.keep_alive());
  EXPECT_TRUE(is_closed_error(c.wait_closed(2s)));
}

TEST(HttpServerTest, HeadRequestGetsHeadersWithoutBody) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send("HEAD /echo HTTP/1.1\r\nHost: test\r\n\r\n" + http_get("/p/next")));
  Reply head = c.read(kIoTimeout, /*head_request=*/true);
  ASSERT_FALSE(head.ec) << head.ec.message();
  EXPECT_EQ(head.res.result(), StatusCode::ok);
  EXPECT_EQ(head.res[Field::content_length], "6");  // the size of "/echo|", as a GET would get
  EXPECT_TRUE(head.res.body().empty());
  // Had the body been sent, it would now be read as the start of the next response.
  Reply next = c.read();
  ASSERT_FALSE(next.ec) << next.ec.message();
  EXPECT_EQ(next.res.body(), "/p/next|");
}

TEST(HttpServerTest, HandlerFailuresBecome500AndTheConnectionStaysUsable) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  for (const char* target : {"/throw", "/silent"}) {
    ASSERT_FALSE(c.send(http_get(target)));
    Reply r = c.read();
    ASSERT_FALSE(r.ec) << target << ": " << r.ec.message();
    EXPECT_EQ(r.res.result(), StatusCode::internal_server_error) << target;
  }
  ASSERT_FALSE(c.send(http_get("/nowhere")));
  EXPECT_EQ(c.read().res.result(), StatusCode::not_found);
  ASSERT_FALSE(c.send(http_get("/echo")));
  EXPECT_EQ(c.read().res.result(), StatusCode::ok);
}

// ---- limits and malformed input -----------------------------------------------------------------

TEST(HttpServerTest, BodyOverLimitWithContentLengthGets413) {
  TestServer ts(fast_options());
  {
    Client c(ts.port());
    ASSERT_FALSE(c.connect());
    // Sent in one go, far past the 1 KiB limit: the client must still read the answer.
    const std::string body(256 * 1024, 'x');
    ASSERT_FALSE(c.send(http_post("/echo", body)));
    Reply r = c.read();
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), StatusCode::payload_too_large);
    EXPECT_NE(r.res.body().find("body_too_large"), std::string::npos);
    EXPECT_FALSE(r.res.keep_alive());
  }
  {
    // Head only, body never sent: the 413 comes from the announced length alone.
    Client c(ts.port());
    ASSERT_FALSE(c.connect());
    ASSERT_FALSE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n"));
    Reply r = c.read(2s);
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), StatusCode::payload_too_large);
  }
  {
    // Expect: 100-continue with a too large length: 413 and no 100 Continue.
    Client c(ts.port());
    ASSERT_FALSE(c.connect());
    ASSERT_FALSE(c.send(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
    Reply r = c.read(2s);
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), StatusCode::payload_too_large);
  }
  // A body exactly at the limit is fine, and the server still serves other connections.
  Client ok(ts.port());
  ASSERT_FALSE(ok.connect());
  ASSERT_FALSE(ok.send(http_post("/echo", std::string(1024, 'y'))));
  Reply r = ok.read();
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), StatusCode::ok);
}

TEST(HttpServerTest, ChunkedBodyOverLimitGets413) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  std::string req = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(500, 'z');
  for (int i = 0; i < 200; ++i) {  // 100 KB in 500-byte chunks against a 1 KiB limit
    req += "1f4\r\n" + chunk + "\r\n";
  }
  req += "0\r\n\r\n";
  ASSERT_FALSE(c.send(req));
  Reply r = c.read();
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), StatusCode::payload_too_large);

  // A small chunked body is accepted.
  Reply ok = [&] {
    Client d(ts.port());
    EXPECT_FALSE(d.connect());
    EXPECT_FALSE(
        d.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
               "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
    return d.read();
  }();
  ASSERT_FALSE(ok.ec) << ok.ec.message();
  EXPECT_EQ(ok.res.body(), "/echo|abc");
}

TEST(HttpServerTest, HeadOverLimitGets431) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send(http_get("/echo", "X-Filler: " + std::string(4096, 'h') + "\r\n")));
  Reply r = c.read();
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), StatusCode::request_header_fields_too_large);
  EXPECT_FALSE(r.res.keep_alive());
  EXPECT_EQ(fetch(ts.port(), "/echo").res.result(), StatusCode::ok);
}

TEST(HttpServerTest, GarbageRequestLineGets400) {
  TestServer ts(fast_options());
  for (const char* garbage : {"GARBAGE\r\n\r\n",
                              "G\x01T / HTTP/1.1\r\n\r\n",
                              "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
                              "GET /a b HTTP/1.1\r\n\r\n",
                              "GET /\r\n\r\n"}) {
    Client c(ts.port());
    ASSERT_FALSE(c.connect());
    ASSERT_FALSE(c.send(garbage));
    Reply r = c.read();
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), StatusCode::bad_request) << garbage;
    EXPECT_FALSE(r.res.keep_alive());
  }
  // Well-formed, but not a version this server speaks (an HTTP/2 preface, a made-up one).
  for (const char* other : {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET / HTTP/3.7\r\n\r\n"}) {
    Client c(ts.port());
    ASSERT_FALSE(c.connect());
    ASSERT_FALSE(c.send(other));
    Reply r = c.read();
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), StatusCode::http_version_not_supported) << other;
  }
  EXPECT_EQ(fetch(ts.port(), "/echo").res.result(), StatusCode::ok);
}

TEST(HttpServerTest, AmbiguousBodyFramingGets400) {
  TestServer ts(fast_options());
  // A Transfer-Encoding that does not end in chunked leaves the body length unknown
  // (RFC 9112 §6.3); treating it as "no body" would read the body as the next request.
  const std::string smuggle =
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n" + http_get("/p/smuggled");
  // Both Content-Length and chunked.
  const std::string both =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n";
  // Transfer-Encoding in HTTP/1.0, which has none (RFC 9112 §6.1).
  const std::string old_te = "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  for (const std::string& req : {smuggle, both, old_te}) {
    Client c(ts.port());
    ASSERT_FALSE(c.connect());
    ASSERT_FALSE(c.send(req));
    Reply r = c.read();
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), StatusCode::bad_request);
    EXPECT_TRUE(is_closed_error(c.wait_closed(3s)));
  }
}

TEST(HttpServerTest, MissingOrRepeatedHostGets400) {
  TestServer ts(fast_options());
  for (const char* req : {"GET /echo HTTP/1.1\r\n\r\n",
                          "GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                          "GET /echo HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n"}) {
    Client c(ts.port());
    ASSERT_FALSE(c.connect());
    ASSERT_FALSE(c.send(req));
    Reply r = c.read();
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.res.result(), StatusCode::bad_request) << req;
  }
  // HTTP/1.0 may leave it out.
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send("GET /echo HTTP/1.0\r\n\r\n"));
  Reply r = c.read();
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), StatusCode::ok);
  EXPECT_FALSE(r.res.keep_alive());
}

// ---- timeouts -----------------------------------------------------------------------------------

// A raw socket for byte-at-a-time clients.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }

  ~RawSocket() { ::close(fd_); }

  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }

  bool send_byte(char c) { return ::send(fd_, &c, 1, MSG_NOSIGNAL) == 1; }

  // True when the server has closed (EOF or reset) within `wait`.
  bool closed_within(milliseconds wait) {
    pollfd p{fd_, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) {
      return false;
    }
    char buf[512];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    return n <= 0 || (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(HttpServerTest, SlowlorisIsCutOffWhileOthersAreServed) {
  ServerOptions o = fast_options();
  o.header_timeout = 300ms;
  TestServer ts(o);

  const std::string head = http_get("/echo", "X-Pad: " + std::string(40, 'p') + "\r\n");
  std::atomic<bool> done{false};
  std::atomic<long> closed_after_ms{-1};
  std::atomic<size_t> bytes_sent{0};
  std::thread slow([&] {
    RawSocket s(ts.port());
    if (!s.connected()) {
      done = true;
      return;
    }
    const auto start = Clock::now();
    for (char ch : head) {
      if (!s.send_byte(ch)) {
        closed_after_ms = since(start).count();
        break;
      }
      ++bytes_sent;
      if (s.closed_within(50ms)) {  // one byte every 50 ms: the whole head would take ~4 s
        closed_after_ms = since(start).count();
        break;
      }
    }
    done = true;
  });

  // Meanwhile a well-behaved client is served, each request well inside the header timeout.
  int served = 0;
  while (!done) {
    Reply r = fetch(ts.port(), "/echo");
    if (!r.ec && r.res.result() == StatusCode::ok) {
      ++served;
    } else {
      ADD_FAILURE() << "well-behaved request failed: " << r.ec.message();
    }
    std::this_thread::sleep_for(40ms);
  }
  slow.join();

  EXPECT_GE(served, 3);
  ASSERT_GE(closed_after_ms.load(), 0) << "the trickling client was never cut off";
  EXPECT_GE(closed_after_ms.load(), 250);
  EXPECT_LT(closed_after_ms.load(), 1500);
  EXPECT_LT(bytes_sent.load(), head.size());
}

TEST(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o = fast_options();
  o.idle_timeout = 300ms;
  TestServer ts(o);
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send(http_get("/echo")));
  Reply r = c.read();
  ASSERT_FALSE(r.ec);
  EXPECT_TRUE(r.res.keep_alive());
  const auto start = Clock::now();
  const beast::error_code ec = c.wait_closed(3s);
  EXPECT_TRUE(is_closed_error(ec)) << ec.message();
  EXPECT_GE(since(start).count(), 250);
  EXPECT_LT(since(start).count(), 2000);
  EXPECT_TRUE(wait_until([&] { return ts.server().open_connections() == 0; }, 2s));

  // A connection that never sends anything is closed the same way.
  Client silent(ts.port());
  ASSERT_FALSE(silent.connect());
  EXPECT_TRUE(is_closed_error(silent.wait_closed(3s)));
}

TEST(HttpServerTest, SlowBodyIsCutOff) {
  ServerOptions o = fast_options();
  o.body_timeout = 300ms;
  TestServer ts(o);
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part"));
  const auto start = Clock::now();
  EXPECT_TRUE(is_closed_error(c.wait_closed(3s)));
  EXPECT_LT(since(start).count(), 2000);
}

TEST(HttpServerTest, SlowReaderIsCutOff) {
  ServerOptions o = fast_options();
  o.write_timeout = 300ms;
  TestServer ts(o);
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send(http_get("/big")));
  // The client reads nothing: once the socket buffers are full the write stalls, and the
  // connection is dropped write_timeout later.
  const auto start = Clock::now();
  EXPECT_TRUE(wait_until([&] { return ts.server().open_connections() == 0; }, 3s));
  EXPECT_LT(since(start).count(), 3000);
  EXPECT_EQ(fetch(ts.port(), "/echo").res.result(), StatusCode::ok);
}

TEST(HttpServerTest, ExpectContinueGetsInterimResponse) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  Reply interim = c.read();
  ASSERT_FALSE(interim.ec) << interim.ec.message();
  EXPECT_EQ(interim.res.result(), StatusCode::continue_);
  ASSERT_FALSE(c.send("data"));
  Reply r = c.read();
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.body(), "/echo|data");
}

// ---- streaming ----------------------------------------------------------------------------------

TEST(HttpServerTest, StreamingProducesValidChunkedResponse) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send(http_get("/stream")));
  Reply r = c.read();
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.result(), StatusCode::ok);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.res[Field::content_type], "text/event-stream");
  EXPECT_TRUE(r.res[Field::content_length].empty());
  EXPECT_EQ(r.res.body(), "onetwothree");
  EXPECT_EQ(r.chunk_sizes, (std::vector<std::uint64_t>{3, 3, 5, 0}));
  EXPECT_EQ(ts.probe().stream_writes_ok.load(), 4);
  // The connection serves the next request after the stream ends.
  ASSERT_FALSE(c.send(http_get("/echo")));
  Reply next = c.read();
  ASSERT_FALSE(next.ec) << next.ec.message();
  EXPECT_EQ(next.res.body(), "/echo|");
  // on_peer_closed belongs to its exchange: closing the connection later must not call it.
  ts.server().stop();
  EXPECT_TRUE(is_closed_error(c.wait_closed(2s)));
  EXPECT_TRUE(wait_until([&] { return ts.server().open_connections() == 0; }, 2s));
  EXPECT_EQ(ts.probe().stale_callback_calls.load(), 0);
}

TEST(HttpServerTest, Http10StreamIsDelimitedByClose) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send("GET /stream HTTP/1.0\r\n\r\n"));
  Reply r = c.read();
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_FALSE(r.chunked);  // HTTP/1.0 has no chunked coding
  EXPECT_EQ(r.res.body(), "onetwothree");
  EXPECT_FALSE(r.res.keep_alive());
}

TEST(HttpServerTest, PeerCloseDuringStreamIsReported) {
  TestServer ts(fast_options());
  Client c(ts.port());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send(http_get("/watch")));
  ASSERT_TRUE(c.read_until("hello\n"));
  ASSERT_TRUE(wait_until([&] { return ts.probe().watch_started.load(); }));
  c.close();
  ASSERT_TRUE(wait_until([&] { return ts.probe().write_after_close.load() != -1; }, 3s))
      << "the handler never learned that the peer left";
  EXPECT_EQ(ts.probe().peer_closed_calls.load(), 1);
  EXPECT_TRUE(ts.probe().peer_closed_flag.load());
  EXPECT_EQ(ts.probe().write_after_close.load(), 0);
  EXPECT_TRUE(wait_until([&] { return ts.server().open_connections() == 0; }, 2s));
}

// ---- graceful shutdown --------------------------------------------------------------------------

TEST(HttpServerTest, StopLetsInFlightRequestFinishAndClosesIdle) {
  auto probe = std::make_shared<Probe>();
  probe->slow_for = 600ms;
  TestServer ts(fast_options(), probe);

  Client idle(ts.port());
  ASSERT_FALSE(idle.connect());
  ASSERT_FALSE(idle.send(http_get("/echo")));
  ASSERT_FALSE(idle.read().ec);

  Client busy(ts.port());
  ASSERT_FALSE(busy.connect());
  ASSERT_FALSE(busy.send(http_get("/slow")));
  ASSERT_TRUE(wait_until([&] { return probe->slow_started.load(); }));

  // A request whose head is on its way counts as in flight too.
  Client uploading(ts.port());
  ASSERT_FALSE(uploading.connect());
  ASSERT_FALSE(uploading.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhal"));
  std::this_thread::sleep_for(50ms);

  ts.server().stop();

  // The idle connection is closed at once.
  const auto start = Clock::now();
  EXPECT_TRUE(is_closed_error(idle.wait_closed(2s)));
  EXPECT_LT(since(start).count(), 500);

  // New connections are refused.
  std::this_thread::sleep_for(50ms);
  Client late(ts.port());
  EXPECT_EQ(late.connect(), asio::error::connection_refused);

  // The upload completes and is answered, with Connection: close.
  ASSERT_FALSE(uploading.send("f!"));
  Reply up = uploading.read();
  ASSERT_FALSE(up.ec) << up.ec.message();
  EXPECT_EQ(up.res.body(), "/echo|half!");
  EXPECT_FALSE(up.res.keep_alive());

  // The in-flight request completes, with Connection: close.
  Reply r = busy.read();
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.res.body(), "slow done");
  EXPECT_FALSE(r.res.keep_alive());
  EXPECT_TRUE(is_closed_error(busy.wait_closed(2s)));
  EXPECT_TRUE(wait_until([&] { return ts.server().open_connections() == 0; }, 2s));
}

TEST(HttpServerTest, ForceCloseClosesRemainingConnections) {
  auto probe = std::make_shared<Probe>();
  probe->slow_for = 30s;
  TestServer ts(fast_options(), probe);

  Client busy(ts.port());
  ASSERT_FALSE(busy.connect());
  ASSERT_FALSE(busy.send(http_get("/slow")));
  ASSERT_TRUE(wait_until([&] { return probe->slow_started.load(); }));

  Client streaming(ts.port());
  ASSERT_FALSE(streaming.connect());
  ASSERT_FALSE(streaming.send(http_get("/watch")));
  ASSERT_TRUE(streaming.read_until("hello\n"));

  ts.server().stop();
  // stop() leaves the busy request alone (a stream, which may never end, is closed at once).
  EXPECT_TRUE(busy.quiet_for(300ms));

  ts.server().force_close();
  const auto start = Clock::now();
  EXPECT_TRUE(is_closed_error(busy.wait_closed(2s)));
  EXPECT_TRUE(is_closed_error(streaming.wait_closed(2s)));
  EXPECT_LT(since(start).count(), 1000);
  EXPECT_TRUE(wait_until([&] { return ts.server().open_connections() == 0; }, 2s));
  EXPECT_EQ(probe->slow_finished.load(), 1);  // the handler ran to its end (its answer was lost)
}

// ---- connection limit ---------------------------------------------------------------------------

TEST(HttpServerTest, MaxConnectionsIsHonoured) {
  ServerOptions o = fast_options();
  o.max_connections = 2;
  TestServer ts(o);

  Client a(ts.port());
  Client b(ts.port());
  for (Client* c : {&a, &b}) {
    ASSERT_FALSE(c->connect());
    ASSERT_FALSE(c->send(http_get("/echo")));
    ASSERT_EQ(c->read().res.result(), StatusCode::ok);
  }
  EXPECT_EQ(ts.server().open_connections(), 2u);

  // The third is accepted by the kernel and closed by the server without an answer.
  Client third(ts.port());
  ASSERT_FALSE(third.connect());
  [[maybe_unused]] const auto send_ec = third.send(http_get("/echo"));
  Reply refused = third.read(2s);
  EXPECT_TRUE(is_closed_error(refused.ec)) << refused.ec.message();

  // Once one leaves, there is room again.
  a.close();
  ASSERT_TRUE(wait_until([&] { return ts.server().open_connections() < 2; }, 2s));
  EXPECT_EQ(fetch(ts.port(), "/echo").res.result(), StatusCode::ok);
  ASSERT_FALSE(b.send(http_get("/echo")));
  EXPECT_EQ(b.read().res.result(), StatusCode::ok);
}

// ---- TLS ----------------------------------------------------------------------------------------

// A throwaway self-signed P-256 certificate for localhost / 127.0.0.1, in a temp dir.
class TlsMaterial {
 public:
  TlsMaterial() {
    char tmpl[] = "/tmp/mcpgate-tls-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    cert_file_ = dir_ + "/cert.pem";
    key_file_ = dir_ + "/key.pem";

    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(
        name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert, key, EVP_sha256());

    BIO* out = BIO_new_file(cert_file_.c_str(), "w");
    PEM_write_bio_X509(out, cert);
    BIO_free(out);
    out = BIO_new_file(key_file_.c_str(), "w");
    PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
    BIO_free(out);
    X509_free(cert);
    EVP_PKEY_free(key);

    std::ifstream in(cert_file_);
    cert_pem_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  ~TlsMaterial() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;

  const std::string& cert_file() const { return cert_file_; }

  const std::string& key_file() const { return key_file_; }

  // A client context trusting only this certificate, limited to [min, max] protocol versions.
  std::unique_ptr<ssl::context> client(int min_version, int max_version) const {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    ctx->set_verify_mode(ssl::verify_peer);
    ctx->add_certificate_authority(asio::buffer(cert_pem_));
    SSL_CTX* raw = ctx->native_handle();
    if (min_version < TLS1_2_VERSION) {
      // Old protocols need security level 0 in OpenSSL 3 (and Debian's default config).
      SSL_CTX_set_security_level(raw, 0);
      SSL_CTX_set_cipher_list(raw, "DEFAULT:@SECLEVEL=0");
    }
    SSL_CTX_set_min_proto_version(raw, min_version);
    SSL_CTX_set_max_proto_version(raw, max_version);
    return ctx;
  }

 private:
  std::string dir_;
  std::string cert_file_;
  std::string key_file_;
  std::string cert_pem_;
};

ServerOptions tls_options(const TlsMaterial& tls) {
  ServerOptions o = fast_options();
  o.tls_cert_file = tls.cert_file();
  o.tls_key_file = tls.key_file();
  return o;
}

TEST(HttpServerTest, TlsClientGetsAnswer) {
  TlsMaterial tls;
  TestServer ts(tls_options(tls));
  EXPECT_TRUE(ts.server().tls());
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto ctx = tls.client(version, version);
    Client c(ts.port(), ctx.get());
    const beast::error_code ec = c.connect();
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(SSL_version(c.tls_stream()->native_handle()), version);
    // Two requests: keep-alive works over TLS as well.
    for (int i = 0; i < 2; ++i) {
      ASSERT_FALSE(c.send(http_get("/info")));
      Reply r = c.read();
      ASSERT_FALSE(r.ec) << r.ec.message();
      EXPECT_EQ(r.res.result(), StatusCode::ok);
      EXPECT_EQ(r.res.body(), "127.0.0.1 tls loopback");
    }
    c.tls_shutdown(500ms);
  }
  // Plain HTTP to the TLS port gets no answer.
  Client plain(ts.port());
  ASSERT_FALSE(plain.connect());
  ASSERT_FALSE(plain.send(http_get("/info")));
  EXPECT_TRUE(plain.read(2s).ec);
}

TEST(HttpServerTest, Tls11ClientIsRefused) {
  TlsMaterial tls;
  TestServer ts(tls_options(tls));
  auto ctx = tls.client(TLS1_1_VERSION, TLS1_1_VERSION);
  Client c(ts.port(), ctx.get());
  const beast::error_code ec = c.connect();
  ASSERT_TRUE(ec) << "a TLSv1.1-only client completed a handshake";
  // The refusal comes from the server (an alert), not from the client's own configuration.
  EXPECT_NE(ec.message().find("alert protocol version"), std::string::npos) << ec.message();
  // The server is unharmed.
  auto good = tls.client(TLS1_2_VERSION, TLS1_3_VERSION);
  EXPECT_EQ(fetch(ts.port(), "/info", good.get()).res.result(), StatusCode::ok);
}

TEST(HttpServerTest, PeerCloseDuringTlsStreamIsReported) {
  TlsMaterial tls;
  TestServer ts(tls_options(tls));
  auto ctx = tls.client(TLS1_2_VERSION, TLS1_3_VERSION);
  Client c(ts.port(), ctx.get());
  ASSERT_FALSE(c.connect());
  ASSERT_FALSE(c.send(http_get("/watch")));
  ASSERT_TRUE(c.read_until("hello\n"));
  // A polite TLS client: close_notify first (bytes the server does not read while streaming),
  // then the TCP close.
  c.tls_shutdown(200ms);
  ASSERT_TRUE(wait_until([&] { return ts.probe().write_after_close.load() != -1; }, 3s))
      << "the handler never learned that the peer left";
  EXPECT_EQ(ts.probe().peer_closed_calls.load(), 1);
  EXPECT_EQ(ts.probe().write_after_close.load(), 0);
}

TEST(HttpServerTest, StartReportsBadTlsMaterial) {
  asio::io_context ioc;
  auto router = std::make_shared<Router>();
  ServerOptions o;
  o.port = 0;
  o.tls_cert_file = "/nonexistent/cert.pem";
  {
    Server s(ioc, o, router);
    const Status st = s.start();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("key_file"), std::string::npos) << st.error().message;
  }
  o.tls_key_file = "/nonexistent/key.pem";
  {
    Server s(ioc, o, router);
    const Status st = s.start();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("/nonexistent/cert.pem"), std::string::npos);
  }
}

TEST(HttpServerTest, StartReportsBusyPort) {
  TestServer ts(fast_options());
  asio::io_context ioc;
  ServerOptions o;
  o.port = ts.port();
  Server s(ioc, o, std::make_shared<Router>());
  const Status st = s.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace mcpgate::http
