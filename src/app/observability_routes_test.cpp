#include "app/observability_routes.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "metrics/registry.hpp"
#include "store/executor.hpp"
#include "store/open_store.hpp"

namespace mcpgate::app {
namespace {

// An exchange that records the answer instead of sending it.
class RecordingExchange final : public http::Exchange {
 public:
  RecordingExchange(asio::any_io_executor ex, http::Request req)
      : ex_(std::move(ex)), req_(std::move(req)) {}

  const http::Request& request() const override { return req_; }

  const std::string& remote_ip() const override { return ip_; }

  const std::string& request_id() const override { return id_; }

  bool secure() const override { return false; }

  bool loopback_bind() const override { return true; }

  asio::any_io_executor executor() const override { return ex_; }

  asio::awaitable<void> respond(http::Response res) override {
    response = std::move(res);
    ++answers;
    co_return;
  }

  asio::awaitable<bool> start_stream(http::Response) override { co_return false; }

  asio::awaitable<bool> write(std::string) override { co_return false; }

  asio::awaitable<void> finish() override { co_return; }

  void on_peer_closed(std::function<void()>) override {}

  bool peer_closed() const override { return false; }

  http::Response response;
  int answers = 0;

 private:
  asio::any_io_executor ex_;
  http::Request req_;
  std::string ip_ = "127.0.0.1";
  std::string id_ = "test-1";
};

http::Request request(http::bhttp::verb method,
                      std::string target,
                      std::string authorization = "") {
  http::Request req{method, target, 11};
  if (!authorization.empty()) {
    req.set(http::Field::authorization, authorization);
  }
  return req;
}

asio::awaitable<http::Response> dispatch(const http::Router& router, http::Request req) {
  RecordingExchange ex(co_await asio::this_coro::executor, std::move(req));
  co_await router.dispatch(ex);
  EXPECT_EQ(ex.answers, 1);
  co_return std::move(ex.response);
}

http::Response route(const http::Router& router, http::Request req) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, dispatch(router, std::move(req)), asio::use_future);
  ioc.run();
  return fut.get();
}

http::Response get(const http::Router& router, std::string target, std::string authorization = "") {
  return route(router,
               request(http::bhttp::verb::get, std::move(target), std::move(authorization)));
}

// A readiness check whose answer the test sets, counting its calls.
struct FakeReadiness {
  Status next;
  int calls = 0;
};

asio::awaitable<Status> check(std::shared_ptr<FakeReadiness> r) {
  ++r->calls;
  co_return r->next;
}

class ObservabilityRoutesTest : public ::testing::Test {
 protected:
  void mount(std::string token = "") {
    ObservabilityOptions options;
    options.registry = &registry_;
    options.metrics_token = std::move(token);
    options.ready = [r = readiness_] {
      return check(r);
    };
    add_observability_routes(router_, std::move(options));
  }

  metrics::Registry registry_;
  std::shared_ptr<FakeReadiness> readiness_ = std::make_shared<FakeReadiness>();
  http::Router router_;
};

TEST_F(ObservabilityRoutesTest, MetricsRendersTheRegistry) {
  registry_.counter("things_total", "Things.", {"kind"}).with({"a"}).inc(3);
  mount();
  const http::Response res = get(router_, "/metrics");
  EXPECT_EQ(res.result(), http::StatusCode::ok);
  EXPECT_EQ(res[http::Field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res[http::Field::cache_control], "no-store");
  EXPECT_EQ(res.body(),
            "# HELP things_total Things.\n"
            "# TYPE things_total counter\n"
            "things_total{kind=\"a\"} 3\n");
}

TEST_F(ObservabilityRoutesTest, MetricsUsesTheGlobalRegistryByDefault) {
  add_observability_routes(router_, {});
  const http::Response res = get(router_, "/metrics");
  EXPECT_EQ(res.result(), http::StatusCode::ok);
  EXPECT_NE(res.body().find("\nprocess_resident_memory_bytes "), std::string::npos);
  EXPECT_EQ(route(router_, request(http::bhttp::verb::get, "/readyz")).result(),
            http::StatusCode::ok);
}

TEST_F(ObservabilityRoutesTest, MetricsTokenIsRequiredWhenConfigured) {
  mount("s3cret-metrics-token");
  for (const char* auth : {"",
                           "Bearer wrong",
                           "Bearer s3cret-metrics-toke",
                           "Basic s3cret-metrics-token",
                           "Bearer",
                           "Bearers3cret-metrics-token"}) {
    const http::Response res = get(router_, "/metrics", auth);
    EXPECT_EQ(res.result(), http::StatusCode::unauthorized) << auth;
    EXPECT_EQ(res[http::Field::www_authenticate], "Bearer realm=\"mcpgate-metrics\"") << auth;
    EXPECT_EQ(res.body().find("# TYPE"), std::string::npos);
  }
  EXPECT_EQ(get(router_, "/metrics", "Bearer s3cret-metrics-token").result(), http::StatusCode::ok);
  EXPECT_EQ(get(router_, "/metrics", "bearer  s3cret-metrics-token ").result(),
            http::StatusCode::ok);
  // Two Authorization fields are refused even when one is right.
  http::Request twice = request(http::bhttp::verb::get, "/metrics", "Bearer s3cret-metrics-token");
  twice.insert(http::Field::authorization, "Bearer wrong");
  EXPECT_EQ(route(router_, std::move(twice)).result(), http::StatusCode::unauthorized);
  // The probes stay open.
  EXPECT_EQ(get(router_, "/healthz").result(), http::StatusCode::ok);
  EXPECT_EQ(get(router_, "/readyz").result(), http::StatusCode::ok);
}

TEST_F(ObservabilityRoutesTest, HealthzIsOk) {
  mount();
  const http::Response res = get(router_, "/healthz");
  EXPECT_EQ(res.result(), http::StatusCode::ok);
  EXPECT_EQ(res[http::Field::content_type], "application/json");
  EXPECT_EQ(res.body(), "{\"status\":\"ok\"}\n");
  EXPECT_EQ(readiness_->calls, 0);  // liveness does not depend on the store
}

TEST_F(ObservabilityRoutesTest, ReadyzFollowsTheCheck) {
  mount();
  http::Response res = get(router_, "/readyz");
  EXPECT_EQ(res.result(), http::StatusCode::ok);
  EXPECT_EQ(res.body(), "{\"status\":\"ok\"}\n");

  readiness_->next = make_error(ErrorCode::kUnavailable, "store: connection refused to 10.0.0.7");
  res = get(router_, "/readyz");
  EXPECT_EQ(res.result(), http::StatusCode::service_unavailable);
  EXPECT_EQ(res[http::Field::cache_control], "no-store");
  EXPECT_EQ(res.body(), "{\"reason\":\"unavailable\",\"status\":\"unavailable\"}\n");

  readiness_->next = {};
  EXPECT_EQ(get(router_, "/readyz").result(), http::StatusCode::ok);
  EXPECT_EQ(readiness_->calls, 3);
}

TEST_F(ObservabilityRoutesTest, HeadIsAnsweredOtherMethodsAreNot) {
  mount();
  for (const char* path : {"/metrics", "/healthz", "/readyz"}) {
    EXPECT_EQ(route(router_, request(http::bhttp::verb::head, path)).result(), http::StatusCode::ok)
        << path;
    for (const auto method : {http::bhttp::verb::post,
                              http::bhttp::verb::put,
                              http::bhttp::verb::delete_,
                              http::bhttp::verb::options}) {
      const http::Response res = route(router_, request(method, path));
      EXPECT_EQ(res.result(), http::StatusCode::method_not_allowed) << path;
      EXPECT_EQ(res[http::Field::allow], "GET, HEAD") << path;
    }
  }
}

TEST_F(ObservabilityRoutesTest, QueryStringsDoNotMatter) {
  mount();
  EXPECT_EQ(get(router_, "/healthz?probe=1").result(), http::StatusCode::ok);
  EXPECT_EQ(get(router_, "/metrics?x").result(), http::StatusCode::ok);
}

TEST(StoreReadinessTest, ReadyWhileTheStoreAnswers) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mcpgate-readyz-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  store::OpenStoreOptions o;
  o.data_dir = dir;
  auto opened = store::open_store("sqlite:" + (dir / "db.sqlite").string(), o);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  {
    store::Executor executor(1);
    metrics::Registry registry;
    http::Router router;
    ObservabilityOptions options;
    options.registry = &registry;
    options.ready = store_readiness(**opened, executor);
    add_observability_routes(router, std::move(options));
    const http::Response res = get(router, "/readyz");
    EXPECT_EQ(res.result(), http::StatusCode::ok) << res.body();
  }
  opened->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mcpgate::app
