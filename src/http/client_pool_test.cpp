// The outbound client's keep-alive pool (http/client_pool.hpp), against a real keep-alive server
// on 127.0.0.1 that numbers its connections and the requests on each, so every test can see
// which connection carried which request.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "http/client.hpp"
#include "http/single_thread.hpp"
#include "http/test_server.hpp"

namespace mcpgate::http {
namespace {

namespace beast = boost::beast;
using namespace std::chrono_literals;

// What the server does with one request.
enum class PoolServerAction {
  kAnswer,              // 200 "conn=<c> nth=<n>", keep-alive when the request allows it
  kAnswerAndClose,      // the same with Connection: close, then closes
  kCloseWithoutAnswer,  // reads the request, closes without a byte
  kPartialHead,         // half a response head, then closes
  kPartialBody,         // a head announcing 10 body bytes, 3 of them, then closes
};

struct PoolServerReply {
  PoolServerAction action = PoolServerAction::kAnswer;
  std::chrono::milliseconds delay{0};
};

// A keep-alive HTTP/1.1 server (plain or TLS) on its own thread. `handler` gets the connection's
// number (1-based, in accept order), the request's number on that connection (1-based) and the
// request. A connection waiting longer than `idle_close` for its next request is closed by the
// server, as a server's keep-alive timeout does.
class KeepAliveServer {
 public:
  using Handler = std::function<PoolServerReply(size_t conn, size_t nth, const Request& req)>;

  explicit KeepAliveServer(Handler handler = {},
                           std::shared_ptr<asio::ssl::context> tls = nullptr,
                           std::chrono::milliseconds idle_close = 10s)
      : handler_(std::move(handler)),
        tls_(std::move(tls)),
        idle_close_(idle_close),
        acceptor_(ioc_) {
    const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~KeepAliveServer() {
    ioc_.stop();
    thread_.join();
  }

  KeepAliveServer(const KeepAliveServer&) = delete;
  KeepAliveServer& operator=(const KeepAliveServer&) = delete;

  std::string url(std::string_view path, std::string_view host = "127.0.0.1") const {
    return std::string(tls_ ? "https://" : "http://") + std::string(host) + ":"
           + std::to_string(port_) + std::string(path);
  }

  size_t connections() const { return connections_.load(); }

  size_t requests() const { return requests_.load(); }

  // Connections that have ended (either side closed).
  size_t ended() const { return ended_.load(); }

  // Requests that arrived without keep-alive (Connection: close).
  size_t close_requests() const { return close_requests_.load(); }

  // Waits up to 2 s for `n` connections to have ended.
  bool wait_ended(size_t n) const {
    for (int i = 0; i < 200 && ended() < n; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return ended() >= n;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      asio::ip::tcp::socket socket =
          co_await acceptor_.async_accept(ioc_, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      const size_t id = ++connections_;
      asio::co_spawn(ioc_, serve(beast::tcp_stream(std::move(socket)), id), asio::detached);
    }
  }

  asio::awaitable<void> serve(beast::tcp_stream stream, size_t id) {
    if (tls_) {
      beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *tls_);
      boost::system::error_code ec;
      co_await tls.async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) {
        co_await serve_requests(tls, id);
      }
      beast::get_lowest_layer(tls).close();
    } else {
      co_await serve_requests(stream, id);
      boost::system::error_code ec;
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      stream.close();
    }
    ++ended_;
  }

  template <class Stream>
  asio::awaitable<void> serve_requests(Stream& stream, size_t id) {
    boost::system::error_code ec;
    beast::flat_buffer buffer;
    for (size_t nth = 1;; ++nth) {
      Request req;
      beast::get_lowest_layer(stream).expires_after(idle_close_);
      co_await bhttp::async_read(
          stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      beast::get_lowest_layer(stream).expires_never();
      ++requests_;
      if (!req.keep_alive()) {
        ++close_requests_;
      }
      const PoolServerReply reply = handler_ ? handler_(id, nth, req) : PoolServerReply{};
      if (reply.delay.count() > 0) {
        asio::steady_timer timer(co_await asio::this_coro::executor, reply.delay);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      std::string raw;
      switch (reply.action) {
        case PoolServerAction::kCloseWithoutAnswer:
          co_return;
        case PoolServerAction::kPartialHead:
          raw = "HTTP/1.1 200 OK\r\nContent-Le";
          break;
        case PoolServerAction::kPartialBody:
          raw = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
          break;
        case PoolServerAction::kAnswer:
        case PoolServerAction::kAnswerAndClose:
          break;
      }
      if (!raw.empty()) {
        co_await asio::async_write(
            stream, asio::buffer(raw), asio::redirect_error(asio::use_awaitable, ec));
        co_return;
      }
      Response res{bhttp::status::ok, 11};
      res.set(Field::content_type, "text/plain");
      res.body() = "conn=" + std::to_string(id) + " nth=" + std::to_string(nth);
      const bool keep = reply.action == PoolServerAction::kAnswer && req.keep_alive();
      res.keep_alive(keep);
      res.prepare_payload();
      co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep) {
        co_return;
      }
    }
  }

  Handler handler_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::chrono::milliseconds idle_close_;
  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<size_t> connections_{0};
  std::atomic<size_t> requests_{0};
  std::atomic<size_t> ended_{0};
  std::atomic<size_t> close_requests_{0};
  std::thread thread_;
};

ClientRequest pool_get(std::string url, bhttp::verb method = bhttp::verb::get) {
  ClientRequest req;
  req.method = method;
  req.url = std::move(url);
  req.options.address_policy = AddressPolicy::kAllowLoopback;
  req.options.timeout = 5s;
  return req;
}

std::shared_ptr<const HttpClient> pool_client(PoolOptions pool = {}, std::string ca_file = {}) {
  ClientConfig config;
  config.pool = pool;
  config.ca_file = std::move(ca_file);
  auto created = HttpClient::create(std::move(config));
  EXPECT_TRUE(created.ok());
  return std::make_shared<const HttpClient>(std::move(created).value());
}

// Runs `requests` at once on `ioc` (one thread, so the pool of `ioc` serves them all) and
// returns their results in order. Called again with the same `ioc`, later requests find the
// connections earlier ones left in its pool.
std::vector<Result<ClientResponse>> pool_fetch_all(asio::io_context& ioc,
                                                   const HttpClient& client,
                                                   std::vector<ClientRequest> requests) {
  std::vector<std::future<std::optional<Result<ClientResponse>>>> futures;
  for (auto& r : requests) {
    futures.push_back(
        asio::co_spawn(ioc, testing::boxed_for_test(client.fetch(std::move(r))), asio::use_future));
  }
  ioc.restart();
  ioc.run();
  std::vector<Result<ClientResponse>> out;
  for (auto& f : futures) {
    out.push_back(std::move(*f.get()));
  }
  return out;
}

Result<ClientResponse> pool_fetch(asio::io_context& ioc,
                                  const HttpClient& client,
                                  ClientRequest request) {
  std::vector<ClientRequest> one;
  one.push_back(std::move(request));
  return std::move(pool_fetch_all(ioc, client, std::move(one)).front());
}

std::string pool_body(const Result<ClientResponse>& res) {
  return res.ok() ? res->message.body() : "error: " + res.error().message;
}

TEST(HttpClientPoolTest, SequentialRequestsShareOneConnection) {
  KeepAliveServer server;
  auto client = pool_client();
  asio::io_context ioc;
  for (int i = 1; i <= 5; ++i) {
    auto req = pool_get(server.url("/"), i % 2 == 0 ? bhttp::verb::post : bhttp::verb::get);
    if (req.method == bhttp::verb::post) {
      req.body = R"({"n":1})";
    }
    EXPECT_EQ(pool_body(pool_fetch(ioc, *client, std::move(req))),
              "conn=1 nth=" + std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(server.close_requests(), 0u);
}

TEST(HttpClientPoolTest, ConnectionCloseFromTheServerIsHonoured) {
  KeepAliveServer server([](size_t, size_t nth, const Request&) {
    PoolServerReply r;
    r.action = nth == 2 ? PoolServerAction::kAnswerAndClose : PoolServerAction::kAnswer;
    return r;
  });
  auto client = pool_client();
  asio::io_context ioc;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=2");
  // The second answer said Connection: close: the third request needs a new connection.
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=2 nth=1");
  EXPECT_EQ(server.requests(), 3u);
}

TEST(HttpClientPoolTest, ConnectionTheServerClosedWhileIdleIsNotUsed) {
  KeepAliveServer server({}, nullptr, 50ms);  // the server closes connections idle for 50 ms
  auto client = pool_client();
  asio::io_context ioc;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
  ASSERT_TRUE(server.wait_ended(1));
  // A POST: it could not be sent twice, so the closed connection must be noticed before use.
  auto post = pool_get(server.url("/"), bhttp::verb::post);
  post.body = "{}";
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, std::move(post))), "conn=2 nth=1");
  EXPECT_EQ(server.requests(), 2u);
}

TEST(HttpClientPoolTest, GetOnAReusedConnectionClosedBeforeAnyAnswerIsSentOnceMore) {
  // The server reads the second request on connection 1 and closes without a byte, the way a
  // server whose keep-alive timeout fires just as the request arrives does.
  KeepAliveServer server([](size_t conn, size_t nth, const Request&) {
    PoolServerReply r;
    if (conn == 1 && nth == 2) {
      r.action = PoolServerAction::kCloseWithoutAnswer;
    }
    return r;
  });
  auto client = pool_client();
  asio::io_context ioc;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=2 nth=1");
  EXPECT_EQ(server.requests(), 3u);
  EXPECT_EQ(server.connections(), 2u);
}

TEST(HttpClientPoolTest, PostOnAReusedConnectionClosedBeforeAnyAnswerIsNotSentAgain) {
  KeepAliveServer server([](size_t conn, size_t nth, const Request&) {
    PoolServerReply r;
    if (conn == 1 && nth == 2) {
      r.action = PoolServerAction::kCloseWithoutAnswer;
    }
    return r;
  });
  auto client = pool_client();
  asio::io_context ioc;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
  auto post = pool_get(server.url("/"), bhttp::verb::post);
  post.body = R"({"send":"the email"})";
  auto res = pool_fetch(ioc, *client, std::move(post));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kUnavailable) << res.error().message;
  // The server read the POST once and nothing was sent again.
  EXPECT_EQ(server.requests(), 2u);
  EXPECT_EQ(server.connections(), 1u);
  // The failed connection was not kept.
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=2 nth=1");
}

TEST(HttpClientPoolTest, TheStaleConnectionRetryHappensOnlyOnce) {
  // Connection 1 dies on its second request, connection 2 on its first.
  KeepAliveServer server([](size_t conn, size_t nth, const Request&) {
    PoolServerReply r;
    if ((conn == 1 && nth == 2) || conn == 2) {
      r.action = PoolServerAction::kCloseWithoutAnswer;
    }
    return r;
  });
  auto client = pool_client();
  asio::io_context ioc;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
  auto res = pool_fetch(ioc, *client, pool_get(server.url("/")));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kUnavailable) << res.error().message;
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(server.requests(), 3u);
}

TEST(HttpClientPoolTest, PartialResponseIsNeitherRetriedNorPooled) {
  for (const PoolServerAction partial :
       {PoolServerAction::kPartialHead, PoolServerAction::kPartialBody}) {
    KeepAliveServer server([partial](size_t conn, size_t nth, const Request&) {
      PoolServerReply r;
      if (conn == 1 && nth == 2) {
        r.action = partial;
      }
      return r;
    });
    auto client = pool_client();
    asio::io_context ioc;
    EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
    auto res = pool_fetch(ioc, *client, pool_get(server.url("/")));  // a GET, still not retried
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error().code, ErrorCode::kUnavailable) << res.error().message;
    EXPECT_EQ(server.requests(), 2u);
    EXPECT_EQ(server.connections(), 1u);
    EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=2 nth=1");
  }
}

TEST(HttpClientPoolTest, ConcurrentRequestsGetDistinctConnections) {
  KeepAliveServer server([](size_t, size_t, const Request&) {
    PoolServerReply r;
    r.delay = 100ms;  // all six are in flight at once
    return r;
  });
  auto client = pool_client();
  asio::io_context ioc;
  std::vector<ClientRequest> batch;
  for (int i = 0; i < 6; ++i) {
    batch.push_back(pool_get(server.url("/")));
  }
  auto results = pool_fetch_all(ioc, *client, std::move(batch));
  std::vector<std::string> bodies;
  for (const auto& r : results) {
    bodies.push_back(pool_body(r));
  }
  std::sort(bodies.begin(), bodies.end());
  EXPECT_EQ(bodies,
            (std::vector<std::string>{"conn=1 nth=1",
                                      "conn=2 nth=1",
                                      "conn=3 nth=1",
                                      "conn=4 nth=1",
                                      "conn=5 nth=1",
                                      "conn=6 nth=1"}));
}

// A context marked as run by one thread (serve() with one I/O thread) runs each exchange in the
// caller's coroutine on the context's plain executor instead of a strand: pooling, the
// stale-connection retry and concurrent requests behave exactly as on an unmarked context.
TEST(HttpClientPoolTest, OnASingleThreadedContextThePoolBehavesTheSame) {
  KeepAliveServer server([](size_t conn, size_t nth, const Request& req) {
    PoolServerReply r;
    if (conn == 1 && nth == 3) {
      r.action = PoolServerAction::kCloseWithoutAnswer;  // the stale-connection case
    }
    if (req.target() == "/slow") {
      r.delay = 100ms;  // the concurrent batch below is in flight at once
    }
    return r;
  });
  auto client = pool_client();
  asio::io_context ioc;
  mark_single_threaded(ioc);
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=2");
  // The third request on connection 1 gets no answer: a GET is sent once more, on a new one.
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=2 nth=1");
  std::vector<ClientRequest> batch;
  for (int i = 0; i < 3; ++i) {
    batch.push_back(pool_get(server.url("/slow")));
  }
  auto results = pool_fetch_all(ioc, *client, std::move(batch));
  std::vector<std::string> bodies;
  for (const auto& r : results) {
    bodies.push_back(pool_body(r));
  }
  std::sort(bodies.begin(), bodies.end());
  EXPECT_EQ(bodies, (std::vector<std::string>{"conn=2 nth=2", "conn=3 nth=1", "conn=4 nth=1"}));
  EXPECT_EQ(server.connections(), 4u);
}

TEST(HttpClientPoolTest, AtMostMaxIdlePerOriginConnectionsAreKept) {
  KeepAliveServer server([](size_t, size_t, const Request&) {
    PoolServerReply r;
    r.delay = 100ms;
    return r;
  });
  auto client = pool_client({.max_idle_per_origin = 2});
  asio::io_context ioc;
  auto batch = [&] {
    std::vector<ClientRequest> out;
    for (int i = 0; i < 4; ++i) {
      out.push_back(pool_get(server.url("/")));
    }
    return out;
  };
  for (const auto& r : pool_fetch_all(ioc, *client, batch())) {
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_EQ(server.connections(), 4u);
  ASSERT_TRUE(server.wait_ended(2));  // the two over the bound were closed
  EXPECT_EQ(server.ended(), 2u);
  for (const auto& r : pool_fetch_all(ioc, *client, batch())) {
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_EQ(server.connections(), 6u);  // two reused, two new
}

TEST(HttpClientPoolTest, AtMostMaxIdleTotalConnectionsAreKept) {
  KeepAliveServer a;
  KeepAliveServer b;
  auto client = pool_client({.max_idle_total = 1});
  asio::io_context ioc;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(a.url("/")))), "conn=1 nth=1");
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(b.url("/")))), "conn=1 nth=1");
  ASSERT_TRUE(b.wait_ended(1));  // the pool was full with a's connection
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(a.url("/")))), "conn=1 nth=2");
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(b.url("/")))), "conn=2 nth=1");
}

TEST(HttpClientPoolTest, ConnectionIdleLongerThanTheTimeoutIsClosed) {
  KeepAliveServer server;
  auto client = pool_client({.idle_timeout = 50ms});
  asio::io_context ioc;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=2");
  std::this_thread::sleep_for(120ms);
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=2 nth=1");
  ASSERT_TRUE(server.wait_ended(1));
}

TEST(HttpClientPoolTest, DifferentOriginsNeverShareAConnection) {
  KeepAliveServer a;
  KeepAliveServer b;
  auto client = pool_client();
  asio::io_context ioc;
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(a.url("/")))),
              "conn=1 nth=" + std::to_string(i));
    EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(b.url("/")))),
              "conn=1 nth=" + std::to_string(i));
  }
  // Same address and port, another host name: another origin (and another name to verify).
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(a.url("/", "localhost")))), "conn=2 nth=1");
  EXPECT_EQ(a.connections(), 2u);
  EXPECT_EQ(b.connections(), 1u);
}

TEST(HttpClientPoolTest, DifferentAddressPoliciesNeverShareAConnection) {
  KeepAliveServer server;
  auto client = pool_client();
  asio::io_context ioc;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
  auto any = pool_get(server.url("/"));
  any.options.address_policy = AddressPolicy::kAny;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, std::move(any))), "conn=2 nth=1");
  // A public-only request never gets the loopback connection a looser policy left behind.
  auto strict = pool_get(server.url("/"));
  strict.options.address_policy = AddressPolicy::kPublicOnly;
  auto refused = pool_fetch(ioc, *client, std::move(strict));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(server.requests(), 2u);
}

TEST(HttpClientPoolTest, ClientsAndIoContextsDoNotShareConnections) {
  KeepAliveServer server;
  auto first = pool_client();
  auto second = pool_client();
  {
    asio::io_context ioc;
    EXPECT_EQ(pool_body(pool_fetch(ioc, *first, pool_get(server.url("/")))), "conn=1 nth=1");
    EXPECT_EQ(pool_body(pool_fetch(ioc, *second, pool_get(server.url("/")))), "conn=2 nth=1");
    EXPECT_EQ(pool_body(pool_fetch(ioc, *first, pool_get(server.url("/")))), "conn=1 nth=2");
  }
  // The io_context's pool closed its connections when the context went away.
  ASSERT_TRUE(server.wait_ended(2));
  asio::io_context other;
  EXPECT_EQ(pool_body(pool_fetch(other, *first, pool_get(server.url("/")))), "conn=3 nth=1");
}

TEST(HttpClientPoolTest, PoolingOffSendsConnectionClose) {
  KeepAliveServer server;
  auto client = pool_client({.max_idle_per_origin = 0});
  asio::io_context ioc;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=1 nth=1");
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/")))), "conn=2 nth=1");
  EXPECT_EQ(server.close_requests(), 2u);
}

class HttpClientPoolTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = testing::make_self_signed_certificate("DNS:localhost,IP:127.0.0.1");
    ca_path_ = std::filesystem::temp_directory_path()
               / ("mcpgate-client-pool-test-ca-" + std::to_string(::getpid()) + ".pem");
    std::ofstream(ca_path_) << cert_.cert_pem;
  }

  void TearDown() override { std::filesystem::remove(ca_path_); }

  testing::TestCertificate cert_;
  std::filesystem::path ca_path_;
};

TEST_F(HttpClientPoolTlsTest, TlsConnectionsAreReused) {
  KeepAliveServer server({}, testing::make_server_tls(cert_));
  auto client = pool_client({}, ca_path_.string());
  asio::io_context ioc;
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(pool_body(pool_fetch(ioc, *client, pool_get(server.url("/", "localhost")))),
              "conn=1 nth=" + std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(HttpClientPoolTlsTest, UnverifiedConnectionIsNeverReusedForAVerifiedRequest) {
  KeepAliveServer server({}, testing::make_server_tls(cert_));
  auto client = pool_client();  // the system store: this certificate does not verify
  asio::io_context ioc;
  auto unverified = pool_get(server.url("/", "localhost"));
  unverified.options.verify_tls = false;
  EXPECT_EQ(pool_body(pool_fetch(ioc, *client, std::move(unverified))), "conn=1 nth=1");
  auto res = pool_fetch(ioc, *client, pool_get(server.url("/", "localhost")));
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().message.find("certificate verification failed"), std::string::npos)
      << res.error().message;
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(server.requests(), 1u);
}

}  // namespace
}  // namespace mcpgate::http
