#pragma once
// TEST ONLY: a fake SaaS provider on loopback (token endpoint with rotating refresh tokens and
// reuse detection, an API under /api with scripted faults) and a runtime wired to a real vault
// on a SQLite file, for the connector runtime tests.

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "connectors/runtime.hpp"
#include "http/test_server.hpp"
#include "vault/test_support.hpp"

namespace mcpgate::connectors::testing {

using http::testing::make_reply;
using http::testing::TestReply;
using http::testing::TestServer;

struct SeenRequest {
  std::string method;
  std::string target;
  std::string authorization;
  std::string idempotency_key;
  std::chrono::steady_clock::time_point at;
};

// Provider state. The handler runs on the server's thread; tests read under the mutex.
struct FakeProvider {
  std::mutex mu;
  std::set<std::string> valid_access{"at-0"};
  std::set<std::string> valid_refresh{"rt-0"};
  int issued = 0;
  int token_requests = 0;
  bool invalid_grant = false;
  bool invalid_client = false;
  std::chrono::milliseconds token_delay{0};
  std::deque<TestReply> scripted;   // next API replies, in order
  std::optional<TestReply> always;  // every API reply (after the script)
  std::chrono::milliseconds api_delay{0};
  std::vector<SeenRequest> api;
  std::function<void(const std::string& token)> on_new_token;  // first API use of a token
  std::string instance_url;  // sent with refreshed tokens when set (a connection variable)

  TestReply handle(const http::Request& req) {
    std::lock_guard lock(mu);
    const std::string target(req.target());
    if (target == "/token") {
      return token(std::string(req.body()));
    }
    SeenRequest seen{std::string(req.method_string()), target,
                     std::string(req[http::Field::authorization]),
                     std::string(req["Idempotency-Key"]), std::chrono::steady_clock::now()};
    api.push_back(seen);
    const std::string bearer =
        seen.authorization.rfind("Bearer ", 0) == 0 ? seen.authorization.substr(7) : "";
    if (valid_access.count(bearer) == 0) {
      return make_reply(401, R"({"error":"invalid_token"})");
    }
    if (on_new_token) {
      on_new_token(bearer);
    }
    TestReply reply = make_reply(200, R"({"items":[1,2]})");
    if (!scripted.empty()) {
      reply = scripted.front();
      scripted.pop_front();
    } else if (always) {
      reply = *always;
    }
    if (api_delay.count() > 0) {
      reply.delay = api_delay;
    }
    return reply;
  }

  TestReply token(const std::string& body) {
    ++token_requests;
    TestReply reply;
    const auto at = body.find("refresh_token=");
    const std::string presented =
        at == std::string::npos ? "" : body.substr(at + 14, body.find('&', at) - at - 14);
    if (invalid_client) {
      reply = make_reply(401, R"({"error":"invalid_client"})");
    } else if (invalid_grant || valid_refresh.count(presented) == 0) {
      valid_refresh.clear();  // reuse detection: the whole family dies
      reply = make_reply(400, R"({"error":"invalid_grant"})");
    } else {
      valid_refresh.erase(presented);
      ++issued;
      const std::string access = "at-" + std::to_string(issued);
      const std::string refresh = "rt-" + std::to_string(issued);
      valid_access.insert(access);
      valid_refresh.insert(refresh);
      const std::string extra =
          instance_url.empty() ? "" : R"(,"instance_url":")" + instance_url + "\"";
      reply = make_reply(200, R"({"access_token":")" + access + R"(","refresh_token":")" + refresh
                                  + R"(","token_type":"Bearer","expires_in":3600)" + extra + "}");
    }
    reply.delay = token_delay;
    return reply;
  }
};

class FakeToolContext : public mcp::ToolContext {
 public:
  explicit FakeToolContext(std::string subject) : subject_(std::move(subject)) {}
  asio::awaitable<void> progress(double, std::optional<double>, std::string) override { co_return; }
  asio::awaitable<void> log(std::string, Json) override { co_return; }
  bool cancelled() const override { return flag_->load(); }
  std::shared_ptr<const std::atomic<bool>> cancellation() const override { return flag_; }
  const std::string& subject() const override { return subject_; }
  void cancel() { flag_->store(true); }

 private:
  std::string subject_;
  std::shared_ptr<std::atomic<bool>> flag_ = std::make_shared<std::atomic<bool>>(false);
};

inline constexpr std::int64_t kRtNow = 1'700'000'000;

inline std::shared_ptr<ConnectorDef> fake_connector(const TestServer& server) {
  auto c = std::make_shared<ConnectorDef>();
  c->id = "fake";
  c->display_name = "Fake SaaS";
  c->oauth.token_url = server.url("/token");
  c->oauth.client_auth = ClientAuth::kClientSecretBasic;
  c->api.hosts = {"127.0.0.1", "localhost"};
  c->api.allow_loopback_http = true;
  return c;
}

inline ToolDef fake_tool(const ConnectorDef& c, std::string method, bool idempotency_key = false) {
  ToolDef t;
  t.connector_id = c.id;
  t.name = "items";
  t.method = std::move(method);
  t.api = c.api;
  t.idempotency_key = idempotency_key;
  return t;
}

// One "process": its store handle on the shared file, vault, executor and runtime.
struct RuntimeProcess {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<vault::Vault> vault;
  std::unique_ptr<store::Executor> executor = std::make_unique<store::Executor>(2);
  std::unique_ptr<Runtime> runtime;

  RuntimeProcess(const std::string& db, const crypto::MasterKey& store_key,
                 const crypto::MasterKey& master, std::shared_ptr<const ConnectorDef> connector,
                 RuntimeOptions options) {
    store = vault::testing::open_store(db, store_key);
    vault = std::make_unique<vault::Vault>(*store, vault::testing::keyring_of({{1, master}}));
    auto client = std::make_shared<const http::HttpClient>(http::HttpClient::create().value());
    runtime = std::make_unique<Runtime>(
        std::vector<std::shared_ptr<const ConnectorDef>>{std::move(connector)}, *vault, *store,
        *executor, client,
        [](const std::string&) { return std::optional<ConnectorCredentials>({"gate", "s3cret", std::nullopt}); },
        std::move(options));
  }
  ~RuntimeProcess() {
    runtime.reset();
    executor->join();
  }
};

inline RuntimeOptions fast_options() {
  RuntimeOptions o;
  o.public_base_url = "https://gate.example";
  o.clock = [] { return kRtNow; };
  o.refresh_jitter_s = 0;
  o.retry.base_delay = std::chrono::milliseconds(10);
  o.retry.max_delay = std::chrono::milliseconds(40);
  o.refresher.lease_poll = std::chrono::milliseconds(10);
  return o;
}

// Runs `calls` sends concurrently on one io_context (one thread) and returns their results.
inline std::vector<std::optional<Result<UpstreamReply>>> run_sends(
    std::vector<std::pair<Runtime*, FakeToolContext*>> calls, const ToolDef& tool,
    const std::string& url, const std::string& body = "") {
  asio::io_context ioc;
  std::vector<std::optional<Result<UpstreamReply>>> out(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    auto one = [&out, i, rt = calls[i].first, ctx = calls[i].second, &tool, url,
                body]() -> asio::awaitable<void> {
      HttpRequest req{tool.method, url, {}, body};
      out[i].emplace(co_await rt->send(tool, std::move(req), *ctx));
    };
    asio::co_spawn(ioc, std::move(one), asio::detached);
  }
  ioc.run();
  return out;
}

}  // namespace mcpgate::connectors::testing
