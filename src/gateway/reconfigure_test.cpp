// Gateway::reconfigure (configuration reload) and diff_upstreams. The reconfigure test runs the
// real gateway against two in-process MCP servers (mcp::Endpoint behind http::Server on
// loopback) over Streamable HTTP.

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "gateway/gateway.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "mcp/endpoint.hpp"
#include "mcp/registry.hpp"
#include "mcp/tool.hpp"

namespace mcpgate::gateway {
namespace {

using namespace std::chrono_literals;
using Names = std::vector<std::string>;

UpstreamOptions http_upstream(const std::string& name, const std::string& url) {
  UpstreamOptions o;
  o.name = name;
  o.url = url;
  o.prefix = name;
  o.connect_timeout = 5000ms;
  o.call_timeout = 5000ms;
  return o;
}

TEST(DiffUpstreamsTest, SortsByNameIntoAddedRemovedChangedUnchanged) {
  const std::vector<UpstreamOptions> running = {http_upstream("a", "http://127.0.0.1:1/mcp"),
                                                http_upstream("b", "http://127.0.0.1:2/mcp"),
                                                http_upstream("c", "http://127.0.0.1:3/mcp")};
  std::vector<UpstreamOptions> next = {http_upstream("d", "http://127.0.0.1:4/mcp"),
                                       http_upstream("c", "http://127.0.0.1:3/mcp"),
                                       http_upstream("a", "http://127.0.0.1:1/mcp")};
  next[2].exclude = {"dangerous*"};
  const UpstreamChanges c = diff_upstreams(running, next);
  EXPECT_EQ(c.added, Names{"d"});
  EXPECT_EQ(c.removed, Names{"b"});
  EXPECT_EQ(c.changed, Names{"a"});
  EXPECT_EQ(c.unchanged, Names{"c"});
}

TEST(DiffUpstreamsTest, AnyOptionCountsAsAChange) {
  const UpstreamOptions base = http_upstream("a", "http://127.0.0.1:1/mcp");
  std::vector<UpstreamOptions> variants(6, base);
  variants[0].headers = {{"X-Api-Key", "rotated"}};
  variants[1].call_timeout = 1ms;
  variants[2].include = {"x"};
  variants[3].prefix = "";
  variants[4].transport = Transport::kStdio;
  variants[5].env = {{"A", "b"}};
  for (const auto& v : variants) {
    EXPECT_EQ(diff_upstreams({base}, {v}).changed, Names{"a"});
  }
  EXPECT_EQ(diff_upstreams({base}, {base}).unchanged, Names{"a"});
  EXPECT_EQ(diff_upstreams({}, {}).added, Names{});
}

// An MCP server with one tool, on a loopback port of the shared io_context.
class FakeUpstream {
 public:
  FakeUpstream(asio::io_context& ioc, const std::string& tool) {
    auto registry = std::make_shared<mcp::Registry>();
    mcp::Tool t;
    t.descriptor = Json{{"name", tool}, {"inputSchema", Json{{"type", "object"}}}};
    t.handler = [](Json, mcp::ToolContext&) -> asio::awaitable<Result<Json>> {
      co_return Json::object();
    };
    registry->add_tool(std::move(t));
    auto endpoint = std::make_shared<mcp::Endpoint>(mcp::EndpointOptions{}, registry);
    auto router = std::make_shared<http::Router>();
    router->add("/mcp", [endpoint](http::Exchange& ex) { return endpoint->handle(ex); });
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    server_.emplace(ioc, o, router);
    const Status st = server_->start();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/mcp"; }

  void stop() {
    server_->stop();
    server_->force_close();
  }

 private:
  std::optional<http::Server> server_;
};

Names tool_names(const mcp::Registry& registry) {
  Names out;
  for (const auto& t : registry.tools()) {
    out.push_back(t.descriptor.value("name", ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

template <class T>
T run_on(asio::io_context& ioc, asio::awaitable<T> aw) {
  return asio::co_spawn(ioc, std::move(aw), asio::use_future).get();
}

TEST(GatewayReconfigureTest, AddsRemovesAndReplacesUpstreamsInTheRegistry) {
  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&ioc] { ioc.run(); });
  }
  FakeUpstream alpha(ioc, "ping");
  FakeUpstream beta(ioc, "pong");

  auto registry = std::make_shared<mcp::Registry>();
  std::atomic<int> tool_list_changes{0};
  registry->add_listener([&](const mcp::ChangeEvent& e) {
    if (e.kind == mcp::ChangeKind::kToolsListChanged) {
      ++tool_list_changes;
    }
  });
  Gateway::Deps deps;
  deps.executor = ioc.get_executor();
  deps.registry = registry;
  deps.refresh_interval = 60s;
  GatewayOptions options;
  options.enabled = true;
  options.pin_tools = false;
  options.upstreams = {http_upstream("a", alpha.url())};
  auto created = Gateway::create(options, deps);
  ASSERT_TRUE(created.ok()) << created.error().message;
  std::shared_ptr<Gateway> gw = std::move(created).value();
  asio::co_spawn(ioc, gw->start(), asio::use_future).get();
  EXPECT_EQ(tool_names(*registry), (Names{"a__ping"}));

  // Added: b's tool appears (list_changed); a is not touched.
  int before = tool_list_changes.load();
  options.upstreams = {http_upstream("a", alpha.url()), http_upstream("b", beta.url())};
  UpstreamChanges c = run_on(ioc, gw->reconfigure(options));
  EXPECT_EQ(c.added, Names{"b"});
  EXPECT_EQ(c.unchanged, Names{"a"});
  EXPECT_EQ(tool_names(*registry), (Names{"a__ping", "b__pong"}));
  EXPECT_GT(tool_list_changes.load(), before);

  // Removed a, replaced b (a new prefix): a's tool leaves, b's comes back under its new name.
  before = tool_list_changes.load();
  UpstreamOptions b2 = http_upstream("b", beta.url());
  b2.prefix = "beta";
  options.upstreams = {b2};
  c = run_on(ioc, gw->reconfigure(options));
  EXPECT_EQ(c.removed, Names{"a"});
  EXPECT_EQ(c.changed, Names{"b"});
  EXPECT_EQ(tool_names(*registry), (Names{"beta__pong"}));
  EXPECT_GT(tool_list_changes.load(), before);
  const Status refreshed = run_on(ioc, gw->refresh("a"));
  ASSERT_FALSE(refreshed.ok());
  EXPECT_EQ(refreshed.error().code, ErrorCode::kNotFound);

  // Everything removed.
  options.upstreams.clear();
  c = run_on(ioc, gw->reconfigure(options));
  EXPECT_EQ(c.removed, Names{"b"});
  EXPECT_TRUE(tool_names(*registry).empty());

  gw->stop();
  alpha.stop();
  beta.stop();
  work.reset();
  ioc.stop();
  for (auto& t : threads) {
    t.join();
  }
}

}  // namespace
}  // namespace mcpgate::gateway
