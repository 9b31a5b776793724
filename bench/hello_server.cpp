// bench_hello_server: the baseline of bench/mcp_tools_call.sh. A bare Boost.Beast HTTP/1.1 server
// that answers every POST with the same small JSON body, using the threading model of the real
// server (src/http/server.cpp): one io_context run by N threads, one strand per connection, one
// C++20 coroutine per connection, keep-alive, header/body limits and timeouts. It does nothing
// else: no routing, no JSON parsing, no logging. Whatever the gateway spends beyond this is the
// cost of being an MCP gateway.
//
//   bench_hello_server [--listen 127.0.0.1:8081] [--threads N]
//
// Prints "listening on HOST:PORT" once ready (port 0 picks a free port). SIGINT/SIGTERM stop it.

#include "http/asio.hpp"  // first: <utility> before any Asio header (g++ 12 + Boost 1.74)

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::redirect_error;
using asio::use_awaitable;

// About the size and shape of a tools/call result for a fixed-text tool.
constexpr std::string_view kBody =
    R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"This is a simple text response for testing."}]}})";

// The gateway's defaults (src/http/server_options.hpp).
constexpr std::chrono::seconds kIdleTimeout{60};
constexpr std::chrono::seconds kReadTimeout{10};
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr std::uint64_t kBodyLimit = 4 * 1024 * 1024;

asio::awaitable<void> serve_connection(beast::tcp_stream stream) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    stream.expires_after(buffer.size() == 0 ? kIdleTimeout : kReadTimeout);
    co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
    if (ec) {
      break;  // closed by the peer, timeout or malformed request: just drop the connection
    }
    const auto& req = parser.get();
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    if (req.method() == http::verb::post) {
      res.result(http::status::ok);
      res.set(http::field::content_type, "application/json");
      res.body() = kBody;
    } else {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "POST");
    }
    res.prepare_payload();
    stream.expires_after(kWriteTimeout);
    co_await http::async_write(stream, res, redirect_error(use_awaitable, ec));
    if (ec || !res.keep_alive()) {
      break;
    }
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> accept_loop(asio::io_context& ioc, tcp::acceptor& acceptor) {
  while (acceptor.is_open()) {
    beast::error_code ec;
    // Each connection gets its own strand, as in the gateway.
    tcp::socket socket(asio::make_strand(ioc));
    co_await acceptor.async_accept(socket, redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) {
        break;
      }
      continue;  // EMFILE and friends: keep accepting
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve_connection(beast::tcp_stream(std::move(socket))),
                   asio::detached);
  }
}

bool split_host_port(const std::string& listen, std::string& host, unsigned short& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return false;
  }
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  try {
    const unsigned long p = std::stoul(listen.substr(colon + 1));
    if (p > 65535) {
      return false;
    }
    port = static_cast<unsigned short>(p);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Bare Beast HTTP/1.1 server answering every POST with a fixed JSON body"};
  std::string listen = "127.0.0.1:8081";
  unsigned threads = 0;
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)");
  app.add_option("--threads", threads, "io_context threads (default: hardware concurrency)");
  CLI11_PARSE(app, argc, argv);

  std::string host;
  unsigned short port = 0;
  if (!split_host_port(listen, host, port)) {
    std::cerr << "bad --listen value: " << listen << "\n";
    return 2;
  }
  if (threads == 0) {
    threads = std::max(1U, std::thread::hardware_concurrency());
  }

  asio::io_context ioc(static_cast<int>(threads));
  tcp::acceptor acceptor(ioc);
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(host), port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    std::cerr << "cannot listen on " << listen << ": " << e.what() << "\n";
    return 1;
  }
  const auto bound = acceptor.local_endpoint();
  std::printf("listening on %s:%u (threads %u)\n", bound.address().to_string().c_str(),
              static_cast<unsigned>(bound.port()), threads);
  std::fflush(stdout);

  asio::co_spawn(ioc, accept_loop(ioc, acceptor), asio::detached);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) {
    beast::error_code ec;
    acceptor.close(ec);
    ioc.stop();
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) {
    pool.emplace_back([&ioc] { ioc.run(); });
  }
  ioc.run();
  for (auto& t : pool) {
    t.join();
  }
  return 0;
}
