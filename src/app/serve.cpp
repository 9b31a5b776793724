#include "app/serve.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <thread>
#include <vector>

#include "http/asio.hpp"
#include "http/server.hpp"
#include "mcp/endpoint.hpp"
#include "mcp/registry.hpp"
#include "tools/conformance_fixtures.hpp"
#include "tools/demo_tools.hpp"

namespace mcpgate::app {
namespace {

std::shared_ptr<mcp::Registry> build_registry(const Config& config) {
  auto registry = std::make_shared<mcp::Registry>();
  for (const auto& set : config.mcp.tool_sets) {
    if (set == "demo") {
      tools::register_demo_tools(*registry);
    } else if (set == "conformance") {
      tools::register_conformance_fixtures(*registry);
    }
  }
  return registry;
}

asio::awaitable<void> health(http::Exchange& ex) {
  http::Response res = http::make_response(http::StatusCode::ok, "{\"status\":\"ok\"}\n", "application/json");
  res.set(http::Field::cache_control, "no-store");
  co_await ex.respond(std::move(res));
}

}  // namespace

int serve(Config config) {
  std::error_code fs_ec;
  std::filesystem::create_directories(config.data_dir, fs_ec);
  if (fs_ec) {
    log::error("data_dir_unusable", {{"path", config.data_dir}, {"error", fs_ec.message()}});
    return 1;
  }

  const unsigned threads =
      config.server.threads != 0 ? config.server.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));

  auto registry = build_registry(config);
  config.mcp.endpoint.server_version = MCPGATE_VERSION;
  auto endpoint = std::make_shared<mcp::Endpoint>(config.mcp.endpoint, registry);

  auto router = std::make_shared<http::Router>();
  router->add(config.mcp.path, [endpoint](http::Exchange& ex) { return endpoint->handle(ex); });
  router->add("/healthz", health);

  http::Server server(ioc, config.server, router);
  if (auto st = server.start(); !st) {
    log::error("listen_failed", {{"error", st.error().message}});
    return 1;
  }
  log::info("listening", {{"address", config.server.host},
                          {"port", server.port()},
                          {"tls", server.tls()},
                          {"mcp_path", config.mcp.path},
                          {"tool_sets", config.mcp.tool_sets},
                          {"threads", threads},
                          {"version", MCPGATE_VERSION}});

  // Graceful shutdown: stop accepting, let in-flight requests finish, then close what is left.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain(ioc);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) {
      return;
    }
    log::info("shutdown", {{"signal", sig}});
    server.stop();
    drain.expires_after(config.server.drain_timeout);
    drain.async_wait([&](const boost::system::error_code& e) {
      if (!e) {
        server.force_close();
      }
      // Timers and sessions of other modules do not keep the process alive past the drain.
      asio::post(ioc, [&] { ioc.stop(); });
    });
    // Done early when every connection has closed.
    auto poll = std::make_shared<std::function<void()>>();
    auto timer = std::make_shared<asio::steady_timer>(ioc);
    *poll = [&, poll, timer] {
      if (server.open_connections() == 0) {
        drain.cancel();
        return;
      }
      timer->expires_after(std::chrono::milliseconds(20));
      timer->async_wait([poll](const boost::system::error_code& e2) {
        if (!e2) {
          (*poll)();
        }
      });
    };
    (*poll)();
  });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) {
    pool.emplace_back([&ioc] { ioc.run(); });
  }
  ioc.run();
  for (auto& t : pool) {
    t.join();
  }
  log::info("stopped");
  return 0;
}

}  // namespace mcpgate::app
