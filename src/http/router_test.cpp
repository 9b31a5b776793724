#include "http/router.hpp"

#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "http/asio.hpp"
#include "http/test_server.hpp"

namespace mcpgate::http {
namespace {

using testing::run_awaitable;

// An exchange that records the answer instead of sending it.
class FakeExchange final : public Exchange {
 public:
  FakeExchange(asio::any_io_executor ex, std::string target) : ex_(std::move(ex)) {
    req_.method(bhttp::verb::get);
    req_.target(target);
    req_.version(11);
  }

  const Request& request() const override { return req_; }

  const std::string& remote_ip() const override { return ip_; }

  const std::string& request_id() const override { return id_; }

  bool secure() const override { return false; }

  bool loopback_bind() const override { return true; }

  asio::any_io_executor executor() const override { return ex_; }

  asio::awaitable<void> respond(Response res) override {
    response = std::move(res);
    ++answers;
    co_return;
  }

  asio::awaitable<bool> start_stream(Response) override { co_return false; }

  asio::awaitable<bool> write(std::string) override { co_return false; }

  asio::awaitable<void> finish() override { co_return; }

  void on_peer_closed(std::function<void()>) override {}

  bool peer_closed() const override { return false; }

  Response response;
  int answers = 0;

 private:
  asio::any_io_executor ex_;
  Request req_;
  std::string ip_ = "127.0.0.1";
  std::string id_ = "test-1";
};

Handler answer(std::string name) {
  return [name = std::move(name)](Exchange& ex) -> asio::awaitable<void> {
    co_await ex.respond(make_response(StatusCode::ok, name, "text/plain"));
  };
}

// Dispatches `target` through `router` and returns the body (or "404").
std::string route(const Router& router, std::string target) {
  return run_awaitable([&router, target = std::move(target)]() -> asio::awaitable<std::string> {
    FakeExchange ex(co_await asio::this_coro::executor, target);
    co_await router.dispatch(ex);
    EXPECT_EQ(ex.answers, 1);
    if (ex.response.result() == StatusCode::not_found) {
      co_return "404";
    }
    co_return ex.response.body();
  }());
}

TEST(TargetPathTest, StripsQueryAndFragment) {
  EXPECT_EQ(target_path("/mcp"), "/mcp");
  EXPECT_EQ(target_path("/mcp?session=1"), "/mcp");
  EXPECT_EQ(target_path("/mcp#frag"), "/mcp");
  EXPECT_EQ(target_path("/a?b#c"), "/a");
  EXPECT_EQ(target_path("?x"), "");
  EXPECT_EQ(target_path(""), "");
}

TEST(RouterTest, ExactPathsMatchExactly) {
  Router r;
  r.add("/mcp", answer("mcp"));
  r.add("/healthz", answer("health"));
  EXPECT_EQ(route(r, "/mcp"), "mcp");
  EXPECT_EQ(route(r, "/mcp?x=1"), "mcp");
  EXPECT_EQ(route(r, "/healthz"), "health");
  EXPECT_EQ(route(r, "/mcp/"), "404");
  EXPECT_EQ(route(r, "/MCP"), "404");
  EXPECT_EQ(route(r, "/mc"), "404");
  EXPECT_EQ(route(r, ""), "404");
}

TEST(RouterTest, LongestPrefixWinsAndExactBeatsPrefix) {
  Router r;
  r.add_prefix("/a/", answer("a"));
  r.add_prefix("/a/b/", answer("ab"));
  r.add_prefix("/", answer("root"));
  r.add("/a/b/exact", answer("exact"));
  EXPECT_EQ(route(r, "/a/x"), "a");
  EXPECT_EQ(route(r, "/a/b/x"), "ab");
  EXPECT_EQ(route(r, "/a/b/"), "ab");
  EXPECT_EQ(route(r, "/a/b/exact"), "exact");
  EXPECT_EQ(route(r, "/a/b/exact/more"), "ab");
  EXPECT_EQ(route(r, "/zzz"), "root");
  EXPECT_EQ(route(r, "/a"), "root");  // "/a" is not under "/a/"
}

TEST(RouterTest, PrefixOrderOfRegistrationDoesNotMatter) {
  Router r;
  r.add_prefix("/a/b/", answer("ab"));
  r.add_prefix("/a/", answer("a"));
  EXPECT_EQ(route(r, "/a/b/c"), "ab");
  EXPECT_EQ(route(r, "/a/c"), "a");
}

TEST(RouterTest, LaterRegistrationOfSamePathReplaces) {
  Router r;
  r.add("/x", answer("first"));
  r.add("/x", answer("second"));
  EXPECT_EQ(route(r, "/x"), "second");
}

TEST(RouterTest, UnknownPathGetsJson404) {
  Router r;
  const Response res = run_awaitable([&r]() -> asio::awaitable<Response> {
    FakeExchange ex(co_await asio::this_coro::executor, "/nope");
    co_await r.dispatch(ex);
    co_return ex.response;
  }());
  EXPECT_EQ(res.result(), StatusCode::not_found);
  EXPECT_EQ(res[Field::content_type], "application/json");
  EXPECT_NE(res.body().find("\"not_found\""), std::string::npos);
}

TEST(RouterTest, FindReturnsNullForUnknown) {
  Router r;
  r.add("/x", answer("x"));
  EXPECT_NE(r.find("/x"), nullptr);
  EXPECT_EQ(r.find("/y"), nullptr);
}

}  // namespace
}  // namespace mcpgate::http
