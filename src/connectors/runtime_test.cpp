// The connector runtime against a real local provider (token endpoint + API) and a real vault
// on a SQLite file: single-flight refresh in and across processes, 401 → refresh, retries.

#include "connectors/runtime.hpp"

#include <gtest/gtest.h>

#include "connectors/connect_flow.hpp"
#include "connectors/connection_vars.hpp"
#include "connectors/runtime_test_support.hpp"

namespace mcpgate::connectors {
namespace {

using namespace std::chrono_literals;
using testing::FakeProvider;
using testing::FakeToolContext;
using testing::kRtNow;
using testing::RuntimeProcess;

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connector_ = testing::fake_connector(server_);
    db_ = vault::testing::fresh_db_path();
  }

  std::unique_ptr<RuntimeProcess> process(RuntimeOptions options = testing::fast_options()) {
    return std::make_unique<RuntimeProcess>(db_, store_key_, master_, connector_,
                                            std::move(options));
  }

  void connect(RuntimeProcess& p, const std::string& user, const std::string& access,
               std::int64_t expires_at, const std::string& refresh = "rt-0") {
    ASSERT_TRUE(p.vault->put_connection("default", user, "fake",
                                        vault::TokenSet{access, refresh, expires_at, "read", ""},
                                        kRtNow - 3000)
                    .ok());
  }

  std::string api_url() const { return server_.url("/api/items"); }

  size_t api_count() {
    std::lock_guard lock(provider_.mu);
    return provider_.api.size();
  }

  int token_count() {
    std::lock_guard lock(provider_.mu);
    return provider_.token_requests;
  }

  FakeProvider provider_;
  http::testing::TestServer server_{[this](const http::Request& r) { return provider_.handle(r); }};
  std::shared_ptr<ConnectorDef> connector_;
  std::string db_;
  crypto::MasterKey store_key_ = vault::testing::random_master_key();
  crypto::MasterKey master_ = vault::testing::random_master_key();
};

// (a) 50 concurrent calls on an expired token: one refresh at the provider.
TEST_F(RuntimeTest, FiftyConcurrentCallsOnAnExpiredTokenRefreshOnce) {
  provider_.token_delay = 100ms;
  auto p = process();
  connect(*p, "alice", "at-expired", kRtNow - 10);
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  std::vector<std::pair<Runtime*, FakeToolContext*>> calls(50, {p->runtime.get(), &alice});
  auto results = testing::run_sends(calls, tool, api_url());
  for (auto& r : results) {
    ASSERT_TRUE(r && *r) << (r && !*r ? (*r).error().message : "no result");
    EXPECT_EQ((*r)->status, 200);
  }
  EXPECT_EQ(token_count(), 1);
  EXPECT_EQ(p->runtime->refresher().requests_sent(), 1u);
}

// (b) Two processes sharing one store file: the lease lets one of them refresh.
TEST_F(RuntimeTest, TwoProcessesOnOneStoreRefreshOnce) {
  provider_.token_delay = 200ms;
  auto p1 = process();
  auto p2 = process();
  connect(*p1, "alice", "at-expired", kRtNow - 10);
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  std::vector<std::pair<Runtime*, FakeToolContext*>> calls;
  for (int i = 0; i < 10; ++i) {
    calls.emplace_back(p1->runtime.get(), &alice);
    calls.emplace_back(p2->runtime.get(), &alice);
  }
  auto results = testing::run_sends(calls, tool, api_url());
  for (auto& r : results) {
    ASSERT_TRUE(r && *r) << (r && !*r ? (*r).error().message : "no result");
    EXPECT_EQ((*r)->status, 200);
  }
  EXPECT_EQ(token_count(), 1);
}

// (c) A 401 from the API: one refresh, then the call goes through.
TEST_F(RuntimeTest, UnauthorizedTriggersOneRefreshAndRetry) {
  auto p = process();
  connect(*p, "alice", "at-revoked", kRtNow + 3600);
  const ToolDef tool = testing::fake_tool(*connector_, "POST");  // even a POST: it was refused
  FakeToolContext alice("alice");
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url(), "{}");
  ASSERT_TRUE(results[0] && *results[0]) << results[0]->error().message;
  EXPECT_EQ((*results[0])->status, 200);
  EXPECT_EQ(token_count(), 1);
  EXPECT_EQ(api_count(), 2u);
  std::lock_guard lock(provider_.mu);
  EXPECT_EQ(provider_.api[1].authorization, "Bearer at-1");
}

// (d) 429 + Retry-After: 1 on a GET: retried after at least a second.
TEST_F(RuntimeTest, RateLimitedGetWaitsForRetryAfter) {
  provider_.scripted.push_back(
      http::testing::make_reply(429, "{}", "application/json", {{http::Field::retry_after, "1"}}));
  auto p = process();
  connect(*p, "alice", "at-0", kRtNow + 3600);
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
  ASSERT_TRUE(results[0] && *results[0]) << results[0]->error().message;
  EXPECT_EQ((*results[0])->status, 200);
  std::lock_guard lock(provider_.mu);
  ASSERT_EQ(provider_.api.size(), 2u);
  EXPECT_GE(provider_.api[1].at - provider_.api[0].at, 1000ms);
}

// (e) A POST that timed out may have acted: it is not sent again. (The connector's own timeout,
// the configuration's timeout_ms, wins over the default.)
TEST_F(RuntimeTest, TimedOutPostIsNotRetried) {
  provider_.api_delay = 800ms;
  auto options = testing::fast_options();
  options.request_timeout = 10000ms;
  options.request_timeouts["fake"] = 200ms;
  auto p = process(options);
  connect(*p, "alice", "at-0", kRtNow + 3600);
  const ToolDef tool = testing::fake_tool(*connector_, "POST");
  FakeToolContext alice("alice");
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url(), "{}");
  ASSERT_TRUE(results[0]);
  ASSERT_FALSE(*results[0]);
  EXPECT_EQ(results[0]->error().code, ErrorCode::kDeadlineExceeded);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(api_count(), 1u);
}

// (e') A POST whose connection was refused never reached anyone: retried (never_reached_server),
// then reported as unavailable.
TEST_F(RuntimeTest, RefusedPostFailsCleanlyWithoutReachingTheServer) {
  auto p = process();
  connect(*p, "alice", "at-0", kRtNow + 3600);
  const ToolDef post = testing::fake_tool(*connector_, "POST");
  FakeToolContext alice("alice");
  const std::string dead =
      "http://127.0.0.1:" + std::to_string(http::testing::unused_port()) + "/api/items";
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, post, dead, "{}");
  ASSERT_TRUE(results[0]);
  ASSERT_FALSE(*results[0]);
  EXPECT_EQ(results[0]->error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(api_count(), 0u);
}

// (f) A POST to a provider that honours Idempotency-Key: retried with the same key. Without
// that support the same 503 is final.
TEST_F(RuntimeTest, IdempotencyKeyPostRetriedWithTheSameKey) {
  provider_.scripted.push_back(http::testing::make_reply(503, "{}"));
  provider_.scripted.push_back(http::testing::make_reply(503, "{}"));
  auto p = process();
  connect(*p, "alice", "at-0", kRtNow + 3600);
  const ToolDef tool = testing::fake_tool(*connector_, "POST", /*idempotency_key=*/true);
  FakeToolContext alice("alice");
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url(), "{}");
  ASSERT_TRUE(results[0] && *results[0]) << results[0]->error().message;
  EXPECT_EQ((*results[0])->status, 200);
  {
    std::lock_guard lock(provider_.mu);
    ASSERT_EQ(provider_.api.size(), 3u);
    EXPECT_FALSE(provider_.api[0].idempotency_key.empty());
    EXPECT_EQ(provider_.api[1].idempotency_key, provider_.api[0].idempotency_key);
    EXPECT_EQ(provider_.api[2].idempotency_key, provider_.api[0].idempotency_key);
    provider_.scripted.push_back(http::testing::make_reply(503, "{}"));
  }
  const ToolDef plain = testing::fake_tool(*connector_, "POST");
  results = testing::run_sends({{p->runtime.get(), &alice}}, plain, api_url(), "{}");
  ASSERT_TRUE(results[0] && *results[0]);
  EXPECT_EQ((*results[0])->status, 503);
  EXPECT_EQ(api_count(), 4u);
  std::lock_guard lock(provider_.mu);
  EXPECT_EQ(provider_.api[3].idempotency_key, "");
}

// (g) invalid_grant: the connection needs consent again and the user gets the reconnect link.
TEST_F(RuntimeTest, InvalidGrantMarksNeedsReconsentAndLinksToReconnect) {
  provider_.invalid_grant = true;
  auto p = process();
  connect(*p, "alice", "at-expired", kRtNow - 10);
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
  ASSERT_TRUE(results[0]);
  ASSERT_FALSE(*results[0]);
  EXPECT_EQ(results[0]->error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(results[0]->error().message.find("https://gate.example/connect/fake"),
            std::string::npos)
      << results[0]->error().message;
  // ... and as the URL elicitation the endpoint sends clients that take it (-32042).
  const mcp::UrlElicitationRequired* required = mcp::url_elicitation_of(results[0]->error());
  ASSERT_NE(required, nullptr);
  ASSERT_EQ(required->elicitations.size(), 1u);
  EXPECT_EQ(required->elicitations[0].url, "https://gate.example/connect/fake");
  EXPECT_FALSE(required->elicitations[0].elicitation_id.empty());
  auto row = p->vault->get_connection("default", "alice", "fake", vault::Vault::Read::kFromStore);
  ASSERT_TRUE(row);
  EXPECT_EQ((*row)->status, vault::ConnectionStatus::kNeedsReconsent);
  results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
  ASSERT_FALSE(*results[0]);
  EXPECT_EQ(token_count(), 1);  // no second attempt with a dead refresh token
  EXPECT_EQ(api_count(), 0u);
}

// (h) Each caller's own connection, never another's; no caller, no connection.
TEST_F(RuntimeTest, CallsUseOnlyTheCallersOwnConnection) {
  provider_.valid_access = {"at-alice", "at-bob"};
  auto p = process();
  connect(*p, "alice", "at-alice", kRtNow + 3600);
  connect(*p, "bob", "at-bob", kRtNow + 3600);
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  FakeToolContext bob("bob");
  FakeToolContext carol("carol");
  FakeToolContext nobody("");
  auto results = testing::run_sends(
      {{p->runtime.get(), &alice}, {p->runtime.get(), &bob}, {p->runtime.get(), &carol},
       {p->runtime.get(), &nobody}},
      tool, api_url());
  ASSERT_TRUE(*results[0] && *results[1]);
  ASSERT_FALSE(*results[2]);
  EXPECT_NE(results[2]->error().message.find("/connect/fake"), std::string::npos);
  ASSERT_FALSE(*results[3]);
  EXPECT_EQ(results[3]->error().code, ErrorCode::kUnauthenticated);
  std::lock_guard lock(provider_.mu);
  ASSERT_EQ(provider_.api.size(), 2u);
  std::multiset<std::string> auth{provider_.api[0].authorization, provider_.api[1].authorization};
  EXPECT_EQ(auth, (std::multiset<std::string>{"Bearer at-alice", "Bearer at-bob"}));
}

// (i) Repeated 503s open the breaker for that host only; 404s do not count.
TEST_F(RuntimeTest, BreakerOpensPerHostAfterRepeated503s) {
  auto options = testing::fast_options();
  options.retry.max_attempts = 1;
  options.host_breaker = {3, std::chrono::milliseconds(60000)};
  auto p = process(options);
  connect(*p, "alice", "at-0", kRtNow + 3600);
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  provider_.always = http::testing::make_reply(404, "{}");
  for (int i = 0; i < 4; ++i) {
    auto r = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
    ASSERT_TRUE(*r[0]);
  }
  EXPECT_EQ(p->runtime->host_breaker_state("127.0.0.1"), http::CircuitBreaker::State::kClosed);
  provider_.always = http::testing::make_reply(503, "{}");
  for (int i = 0; i < 3; ++i) {
    auto r = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
    ASSERT_TRUE(*r[0]);
    EXPECT_EQ((*r[0])->status, 503);
  }
  EXPECT_EQ(p->runtime->host_breaker_state("127.0.0.1"), http::CircuitBreaker::State::kOpen);
  auto blocked = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
  ASSERT_FALSE(*blocked[0]);
  EXPECT_EQ(blocked[0]->error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(api_count(), 7u);
  provider_.always.reset();
  auto other = testing::run_sends({{p->runtime.get(), &alice}}, tool,
                                  server_.url("/api/items", "localhost"));
  ASSERT_TRUE(*other[0]) << other[0]->error().message;
  EXPECT_EQ((*other[0])->status, 200);
}

// (j) The rotated refresh token is stored before the new access token is used; when the
// commit loses to another writer, the winner's tokens are used and ours never are.
TEST_F(RuntimeTest, RotatedRefreshTokenIsCommittedBeforeUse) {
  auto p = process();
  connect(*p, "alice", "at-expired", kRtNow - 10);
  std::string stored_refresh_at_first_use;
  provider_.on_new_token = [&](const std::string& token) {
    if (token == "at-1" && stored_refresh_at_first_use.empty()) {
      auto row =
          p->vault->get_connection("default", "alice", "fake", vault::Vault::Read::kFromStore);
      stored_refresh_at_first_use = row ? (*row)->refresh_token : "error";
    }
  };
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
  ASSERT_TRUE(*results[0]) << results[0]->error().message;
  EXPECT_EQ(stored_refresh_at_first_use, "rt-1");
}

TEST_F(RuntimeTest, LostCommitUsesTheWinnersTokens) {
  provider_.valid_access.insert("at-winner");
  auto options = testing::fast_options();
  vault::Vault* vault_ptr = nullptr;
  options.refresher.before_commit = [&] {
    auto row = vault_ptr->get_connection("default", "alice", "fake", vault::Vault::Read::kFromStore);
    ASSERT_TRUE(row);
    vault::TokenUpdate winner;
    winner.access_token = "at-winner";
    winner.refresh_token = "rt-winner";
    winner.expires_at = kRtNow + 3600;
    ASSERT_TRUE(vault_ptr->update_tokens("default", "alice", "fake", winner, (*row)->version, kRtNow)
                    .ok());
  };
  auto p = process(options);
  vault_ptr = p->vault.get();
  connect(*p, "alice", "at-expired", kRtNow - 10);
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
  ASSERT_TRUE(*results[0]) << results[0]->error().message;
  std::lock_guard lock(provider_.mu);
  ASSERT_EQ(provider_.api.size(), 1u);
  EXPECT_EQ(provider_.api[0].authorization, "Bearer at-winner");
}

// A broken app credential opens the breaker of that connector's token endpoint.
TEST_F(RuntimeTest, InvalidClientOpensTheConnectorCredentialBreaker) {
  provider_.invalid_client = true;
  auto p = process();
  connect(*p, "alice", "at-expired", kRtNow - 10);
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
  ASSERT_FALSE(*results[0]);
  EXPECT_EQ(p->runtime->refresher().credential_state("fake"), http::CircuitBreaker::State::kOpen);
  results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
  ASSERT_FALSE(*results[0]);
  EXPECT_EQ(token_count(), 1);
  auto row = p->vault->get_connection("default", "alice", "fake", vault::Vault::Read::kFromStore);
  EXPECT_EQ((*row)->status, vault::ConnectionStatus::kActive);  // the user is not blamed
}

// A cancelled call stops waiting for its retry.
TEST_F(RuntimeTest, CancellationEndsTheRetryWait) {
  provider_.always =
      http::testing::make_reply(429, "{}", "application/json", {{http::Field::retry_after, "5"}});
  auto p = process();
  connect(*p, "alice", "at-0", kRtNow + 3600);
  const ToolDef tool = testing::fake_tool(*connector_, "GET");
  FakeToolContext alice("alice");
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    alice.cancel();
  });
  const auto started = std::chrono::steady_clock::now();
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool, api_url());
  canceller.join();
  ASSERT_FALSE(*results[0]);
  EXPECT_EQ(results[0]->error().code, ErrorCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

// Runs Runtime::connection (the first half of a tool call) to completion.
Result<ConnectionVars> runtime_connection_vars(Runtime& rt, const ToolDef& tool,
                                               FakeToolContext& ctx) {
  asio::io_context ioc;
  std::optional<Result<ConnectionVars>> out;
  auto one = [&]() -> asio::awaitable<void> {
    Result<ConnectionVars> vars = co_await rt.connection(tool, ctx);
    out.emplace(std::move(vars));
  };
  asio::co_spawn(ioc, std::move(one), asio::detached);
  ioc.run();
  return std::move(out).value();
}

class RuntimeConnectionVarsTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    connector_->oauth.connection_vars = {{"instance_url", "instance_url", true}};
    tool_ = testing::fake_tool(*connector_, "GET");
    tool_.url = "{conn.instance_url}/api/items";
  }

  // The code exchange's answer, read as the connect flow does, stored as connect_routes does.
  Result<std::int64_t> connect_with(RuntimeProcess& p, const std::string& user,
                                    const std::string& body, std::int64_t expires_at) {
    MCPGATE_ASSIGN_OR_RETURN(
        const TokenResponse tokens,
        parse_token_response(*connector_, 200, "application/json", body, kRtNow - 3000));
    vault::TokenSet set{tokens.access_token, tokens.refresh_token, expires_at, tokens.scopes,
                        encode_connection_vars(tokens.connection_vars)};
    return p.vault->put_connection("default", user, "fake", set, kRtNow - 3000);
  }

  static std::string token_body(const std::string& instance_url) {
    return R"({"access_token":"at-0","refresh_token":"rt-0","token_type":"Bearer","instance_url":")"
           + instance_url + R"("})";
  }

  ToolDef tool_;
};

TEST_F(RuntimeConnectionVarsTest, TheCapturedInstanceUrlIsWhereTheToolCallGoes) {
  auto p = process();
  const std::string instance = server_.url("");
  ASSERT_TRUE(connect_with(*p, "alice", token_body(instance), kRtNow + 3600).ok());
  FakeToolContext alice("alice");
  const auto vars = runtime_connection_vars(*p->runtime, tool_, alice);
  ASSERT_TRUE(vars.ok()) << vars.error().message;
  EXPECT_EQ(vars->at("instance_url"), instance);
  const auto req = build_request(tool_, Json::object(), *vars);
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(req->url, server_.url("/api/items"));
  auto results = testing::run_sends({{p->runtime.get(), &alice}}, tool_, req->url);
  ASSERT_TRUE(results[0] && *results[0]);
  EXPECT_EQ((*results[0])->status, 200);
  ASSERT_EQ(api_count(), 1u);

  // Another user without the variable (a connection stored before it was kept): reconnect.
  FakeToolContext bob("bob");
  connect(*p, "bob", "at-0", kRtNow + 3600);
  const auto missing = runtime_connection_vars(*p->runtime, tool_, bob);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(missing.error().message.find("https://gate.example/connect/fake"), std::string::npos)
      << missing.error().message;
}

TEST_F(RuntimeConnectionVarsTest, AnInstanceUrlOffTheAllowedHostsIsRefusedAtCaptureAndAtCall) {
  auto p = process();
  for (const char* hostile : {"https://evil.example", "http://evil.example", "ftp://127.0.0.1/",
                              "not a url", "http://127.0.0.1/?x=1"}) {
    const auto st = connect_with(*p, "alice", token_body(hostile), kRtNow + 3600);
    ASSERT_FALSE(st.ok()) << hostile;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument) << hostile;
  }
  EXPECT_FALSE(
      connect_with(*p, "alice", R"({"access_token":"at-0","instance_url":7})", 0).ok());
  EXPECT_FALSE(connect_with(*p, "alice", R"({"access_token":"at-0"})", 0).ok());
  EXPECT_EQ(p->vault->get_connection("default", "alice", "fake").error().code,
            ErrorCode::kNotFound);

  // A value that got into the vault anyway (a definition whose hosts changed since) is
  // refused when the request is built: nothing is sent.
  vault::TokenSet set{"at-0", "rt-0", kRtNow + 3600, "read",
                      encode_connection_vars({{"instance_url", "https://evil.example"}})};
  ASSERT_TRUE(p->vault->put_connection("default", "alice", "fake", set, kRtNow).ok());
  FakeToolContext alice("alice");
  const auto vars = runtime_connection_vars(*p->runtime, tool_, alice);
  ASSERT_TRUE(vars.ok()) << vars.error().message;
  const auto req = build_request(tool_, Json::object(), *vars);
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(api_count(), 0u);
}

TEST_F(RuntimeConnectionVarsTest, ARefreshUpdatesTheVariableOrKeepsIt) {
  auto p = process();
  const std::string first = server_.url("", "localhost");
  ASSERT_TRUE(connect_with(*p, "alice", token_body(first), kRtNow - 10).ok());
  FakeToolContext alice("alice");

  // The refresh answer lacks instance_url: the stored one stays.
  auto vars = runtime_connection_vars(*p->runtime, tool_, alice);
  ASSERT_TRUE(vars.ok()) << vars.error().message;
  EXPECT_EQ(vars->at("instance_url"), first);
  EXPECT_EQ(token_count(), 1);

  // It carries one: stored, and used from then on.
  const std::string second = server_.url("");
  {
    std::lock_guard lock(provider_.mu);
    provider_.instance_url = second;
  }
  auto secrets = p->vault->get_connection("default", "alice", "fake").value();
  vault::TokenUpdate expire{secrets->access_token, std::nullopt, kRtNow - 10, std::nullopt,
                            std::nullopt};
  ASSERT_TRUE(p->vault->update_tokens("default", "alice", "fake", expire, secrets->version,
                                      kRtNow - 3000)
                  .ok());
  vars = runtime_connection_vars(*p->runtime, tool_, alice);
  ASSERT_TRUE(vars.ok()) << vars.error().message;
  EXPECT_EQ(vars->at("instance_url"), second);
  EXPECT_EQ(token_count(), 2);
  auto other = process();  // read back from the store, not the cache
  EXPECT_EQ(runtime_connection_vars(*other->runtime, tool_, alice)->at("instance_url"), second);

  // A hostile one fails the refresh; the stored value stays.
  {
    std::lock_guard lock(provider_.mu);
    provider_.instance_url = "https://evil.example";
  }
  secrets = p->vault->get_connection("default", "alice", "fake").value();
  expire.access_token = secrets->access_token;
  ASSERT_TRUE(p->vault->update_tokens("default", "alice", "fake", expire, secrets->version,
                                      kRtNow - 3000)
                  .ok());
  vars = runtime_connection_vars(*p->runtime, tool_, alice);
  EXPECT_EQ(token_count(), 3);
  ASSERT_FALSE(vars.ok());
  EXPECT_EQ(decode_connection_vars(
                p->vault->get_connection("default", "alice", "fake").value()->connection_vars)
                ->at("instance_url"),
            second);
}

}  // namespace
}  // namespace mcpgate::connectors
