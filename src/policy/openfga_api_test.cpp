// The OpenFGA-compatible API driven through its handler with an in-memory PolicyService loaded
// with the demo policy: every endpoint's happy path and OpenFGA's JSON shapes, authentication,
// and malformed, oversized and hostile input (always a clear 4xx, never a crash or an allow).

#include "policy/openfga_api.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "authz/dsl.hpp"
#include "http/router.hpp"

namespace mcpgate::policy {
namespace {

using Json = nlohmann::json;

constexpr const char* kToken = "test-admin-token-0123456789";

class FakeExchange final : public http::Exchange {
 public:
  FakeExchange(asio::any_io_executor executor, http::Request req)
      : executor_(std::move(executor)), req_(std::move(req)) {}

  const http::Request& request() const override { return req_; }
  const std::string& remote_ip() const override { return ip_; }
  const std::string& request_id() const override { return id_; }
  bool secure() const override { return false; }
  bool loopback_bind() const override { return true; }
  asio::any_io_executor executor() const override { return executor_; }
  asio::awaitable<void> respond(http::Response res) override {
    response_ = std::move(res);
    ++responses_;
    co_return;
  }
  asio::awaitable<bool> start_stream(http::Response) override { co_return false; }
  asio::awaitable<bool> write(std::string) override { co_return false; }
  asio::awaitable<void> finish() override { co_return; }
  void on_peer_closed(std::function<void()>) override {}
  bool peer_closed() const override { return false; }

  int responses() const { return responses_; }
  unsigned status() const { return response_ ? response_->result_int() : 0; }
  std::string header(std::string_view name) const {
    if (!response_) {
      return {};
    }
    auto it = response_->find(name);
    return it == response_->end() ? std::string() : std::string(it->value());
  }
  Json json() const { return response_ ? Json::parse(response_->body(), nullptr, false) : Json(); }
  std::string body() const { return response_ ? response_->body() : std::string(); }

 private:
  asio::any_io_executor executor_;
  http::Request req_;
  std::string ip_ = "127.0.0.1";
  std::string id_ = "test";
  std::optional<http::Response> response_;
  int responses_ = 0;
};

struct Rethrow {
  void operator()(const std::exception_ptr& e) const {
    if (e) {
      std::rethrow_exception(e);
    }
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

authz::TupleRecord tk(std::string user, std::string relation, std::string object) {
  return authz::TupleRecord{std::move(object), std::move(relation), std::move(user), "", nullptr};
}

class OpenFgaApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_shared<PolicyService>(new_ulid(), "mcpgate test", std::make_shared<authz::Engine>());
    auto model = authz::parse_dsl(read_file("examples/demo-policy.fga"));
    ASSERT_TRUE(model.ok()) << model.error().message;
    auto id = service_->write_model(*model);
    ASSERT_TRUE(id.ok()) << id.error().message;
    model_id_ = *id;
    authz::WriteRequest w;
    w.writes = {tk("mcp_server:calendar", "server", "tool:calendar/list_events"),
                tk("mcp_server:calendar", "server", "tool:calendar/delete_event"),
                tk("user:alice", "member", "group:staff"),
                tk("group:staff#member", "invoker", "mcp_server:calendar"),
                tk("user:bob", "invoker", "tool:calendar/list_events"),
                tk("client:*", "agent", "mcp_server:calendar")};
    authz::TupleRecord cond = tk("user:*", "arg_denied", "tool:calendar/list_events");
    cond.condition_name = "too_many_results";
    cond.condition_context = Json{{"limit", 50}};
    w.writes.push_back(cond);
    auto r = service_->write_tuples(w);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->error.ok()) << r->error.message;
    OpenFgaApiOptions options;
    options.admin_token = kToken;
    ASSERT_TRUE(mount_openfga_api(router_, service_, executor_, options).ok());
  }

  std::unique_ptr<FakeExchange> call(http::bhttp::verb method, const std::string& target,
                                     const std::string& body = "",
                                     std::optional<std::string> auth = std::string("Bearer ") + kToken) {
    http::Request req{method, target, 11};
    if (auth) {
      req.set(http::Field::authorization, *auth);
    }
    if (!body.empty()) {
      req.set(http::Field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    asio::io_context ioc;
    auto ex = std::make_unique<FakeExchange>(ioc.get_executor(), std::move(req));
    asio::co_spawn(ioc, router_.dispatch(*ex), Rethrow());
    ioc.run();
    return ex;
  }

  // A request to the API mounted over another service (an empty one, one whose store is down).
  std::unique_ptr<FakeExchange> call_service(const std::shared_ptr<PolicyService>& service, const std::string& op,
                                             const std::string& body) {
    http::Router router;
    OpenFgaApiOptions options;
    options.admin_token = kToken;
    EXPECT_TRUE(mount_openfga_api(router, service, executor_, options).ok());
    http::Request req{http::bhttp::verb::post, "/stores/" + service->store_id() + "/" + op, 11};
    req.set(http::Field::authorization, std::string("Bearer ") + kToken);
    req.set(http::Field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    asio::io_context ioc;
    auto ex = std::make_unique<FakeExchange>(ioc.get_executor(), std::move(req));
    asio::co_spawn(ioc, router.dispatch(*ex), Rethrow());
    ioc.run();
    return ex;
  }

  std::unique_ptr<FakeExchange> post(const std::string& op, const Json& body) {
    return call(http::bhttp::verb::post, store() + "/" + op, body.dump());
  }
  std::unique_ptr<FakeExchange> post_raw(const std::string& op, const std::string& body) {
    return call(http::bhttp::verb::post, store() + "/" + op, body);
  }
  std::unique_ptr<FakeExchange> get(const std::string& target) { return call(http::bhttp::verb::get, target); }

  std::string store() const { return "/stores/" + service_->store_id(); }

  static Json check_body(const std::string& user, const std::string& relation, const std::string& object) {
    return {{"tuple_key", {{"user", user}, {"relation", relation}, {"object", object}}}};
  }

  void expect_error(const FakeExchange& ex, unsigned status, const std::string& code) {
    EXPECT_EQ(ex.status(), status) << ex.body();
    const Json j = ex.json();
    ASSERT_TRUE(j.is_object()) << ex.body();
    EXPECT_EQ(j.value("code", ""), code) << ex.body();
    EXPECT_TRUE(j.contains("message") && j["message"].is_string()) << ex.body();
  }

  store::Executor executor_{1};
  std::shared_ptr<PolicyService> service_;
  std::string model_id_;
  http::Router router_;
};

// --- authentication ------------------------------------------------------------------------

TEST_F(OpenFgaApiTest, MissingTokenIs401WithOpenFgaShape) {
  auto ex = call(http::bhttp::verb::get, "/stores", "", std::nullopt);
  expect_error(*ex, 401, "bearer_token_missing");
  EXPECT_EQ(ex->header("WWW-Authenticate"), "Bearer");
}

TEST_F(OpenFgaApiTest, WrongTokenIs401AndNeverEchoed) {
  for (const std::string& auth : std::vector<std::string>{"Bearer wrong", std::string("Bearer ") + kToken + "x",
                                 std::string("Basic ") + kToken, std::string(kToken), "Bearer ",
                                 std::string("Bearer ") + std::string(kToken).substr(1)}) {
    auto ex = call(http::bhttp::verb::post, store() + "/check",
                   check_body("user:alice", "can_invoke", "tool:calendar/delete_event").dump(), auth);
    EXPECT_EQ(ex->status(), 401u) << auth;
    EXPECT_EQ(ex->body().find(kToken), std::string::npos);
    EXPECT_EQ(ex->body().find("allowed"), std::string::npos);
  }
}

TEST_F(OpenFgaApiTest, SchemeIsCaseInsensitive) {
  auto ex = call(http::bhttp::verb::get, "/stores", "", std::string("bearer ") + kToken);
  EXPECT_EQ(ex->status(), 200u);
}

TEST_F(OpenFgaApiTest, UnauthenticatedCannotProbeStores) {
  auto ex = call(http::bhttp::verb::get, "/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV", "", std::nullopt);
  EXPECT_EQ(ex->status(), 401u);
}

TEST_F(OpenFgaApiTest, MountRefusesWeakToken) {
  http::Router router;
  OpenFgaApiOptions options;
  options.admin_token = "short";
  EXPECT_FALSE(mount_openfga_api(router, service_, executor_, options).ok());
  options.admin_token = "";
  EXPECT_FALSE(mount_openfga_api(router, service_, executor_, options).ok());
}

// --- stores --------------------------------------------------------------------------------

TEST_F(OpenFgaApiTest, ListsOurOneStore) {
  auto ex = get("/stores");
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  const Json j = ex->json();
  ASSERT_EQ(j["stores"].size(), 1u);
  EXPECT_EQ(j["stores"][0]["id"], service_->store_id());
  EXPECT_EQ(j["stores"][0]["name"], "mcpgate test");
  EXPECT_EQ(j["stores"][0]["organization"], "default");
  EXPECT_TRUE(j["stores"][0]["created_at"].is_string());
  EXPECT_TRUE(j["stores"][0]["updated_at"].is_string());
  EXPECT_EQ(j["continuation_token"], "");
}

TEST_F(OpenFgaApiTest, GetStore) {
  auto ex = get(store());
  ASSERT_EQ(ex->status(), 200u);
  EXPECT_EQ(ex->json()["id"], service_->store_id());
}

TEST_F(OpenFgaApiTest, UnknownStoreIs404AndBadIdIs400) {
  expect_error(*get("/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "store_id_not_found");
  expect_error(*call(http::bhttp::verb::post, "/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV/check", "{}"), 404,
               "store_id_not_found");
  expect_error(*get("/stores/not-a-ulid"), 400, "validation_error");
  expect_error(*get("/stores/../../etc/passwd"), 400, "validation_error");
}

TEST_F(OpenFgaApiTest, StoresCannotBeCreatedOrDeleted) {
  expect_error(*call(http::bhttp::verb::post, "/stores", R"({"name":"x"})"), 501, "unimplemented");
  expect_error(*call(http::bhttp::verb::delete_, store()), 501, "unimplemented");
}

TEST_F(OpenFgaApiTest, UnknownEndpointAndWrongMethod) {
  expect_error(*post("nope", Json::object()), 404, "undefined_endpoint");
  auto ex = get(store() + "/check");
  EXPECT_EQ(ex->status(), 405u);
  EXPECT_EQ(ex->header("Allow"), "POST");
}

// --- check / batch-check -------------------------------------------------------------------

TEST_F(OpenFgaApiTest, Check) {
  auto ex = post("check", check_body("user:alice", "can_invoke", "tool:calendar/delete_event"));
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(ex->json(), (Json{{"allowed", true}, {"resolution", ""}}));
  ex = post("check", check_body("user:bob", "can_invoke", "tool:calendar/delete_event"));
  ASSERT_EQ(ex->status(), 200u);
  EXPECT_EQ(ex->json()["allowed"], false);
}

TEST_F(OpenFgaApiTest, CheckWithContextAndContextualTuples) {
  Json body = check_body("user:bob", "can_invoke", "tool:calendar/list_events");
  body["context"] = {{"arg_max_results", 10}};
  EXPECT_EQ(post("check", body)->json()["allowed"], true);
  body["context"] = {{"arg_max_results", 51}};
  EXPECT_EQ(post("check", body)->json()["allowed"], false);

  Json ctx = check_body("user:carol", "can_invoke", "tool:calendar/delete_event");
  EXPECT_EQ(post("check", ctx)->json()["allowed"], false);
  ctx["contextual_tuples"] = {{"tuple_keys", {{{"user", "user:carol"}, {"relation", "member"}, {"object", "group:staff"}}}}};
  EXPECT_EQ(post("check", ctx)->json()["allowed"], true);
  // Contextual tuples are visible to their request only.
  EXPECT_EQ(post("check", check_body("user:carol", "can_invoke", "tool:calendar/delete_event"))->json()["allowed"],
            false);
}

TEST_F(OpenFgaApiTest, CheckMissingConditionParameterIsAnErrorNotAnAllow) {
  auto ex = post("check", check_body("user:alice", "can_invoke", "tool:calendar/list_events"));
  EXPECT_EQ(ex->status(), 400u) << ex->body();
  EXPECT_EQ(ex->body().find("\"allowed\":true"), std::string::npos);
}

TEST_F(OpenFgaApiTest, CheckModelIdMustBeCurrent) {
  Json body = check_body("user:alice", "can_invoke", "tool:calendar/delete_event");
  body["authorization_model_id"] = model_id_;
  EXPECT_EQ(post("check", body)->status(), 200u);
  body["authorization_model_id"] = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  expect_error(*post("check", body), 400, "authorization_model_not_found");
  body["authorization_model_id"] = "bad id";
  expect_error(*post("check", body), 400, "validation_error");
}

TEST_F(OpenFgaApiTest, CheckUnknownTypeOrRelationIs400) {
  auto ex = post("check", check_body("user:alice", "nope", "tool:calendar/delete_event"));
  EXPECT_EQ(ex->status(), 400u) << ex->body();
  ex = post("check", check_body("user:alice", "can_invoke", "nosuchtype:x"));
  EXPECT_EQ(ex->status(), 400u) << ex->body();
}

TEST_F(OpenFgaApiTest, CheckWithoutModelIs400) {
  auto empty = std::make_shared<PolicyService>(new_ulid(), "empty", std::make_shared<authz::Engine>());
  auto ex = call_service(empty, "check", check_body("user:a", "r", "t:x").dump());
  expect_error(*ex, 400, "latest_authorization_model_not_found");
}

// Storage that went away (a database restart) after the model was stored: every later call
// fails as unavailable.
class UnavailablePersistence final : public PolicyPersistence {
 public:
  Status save_model(std::string_view, const StoredModel&) override { return {}; }
  Result<std::vector<StoredModel>> load_models(std::string_view) override { return down(); }
  Result<std::uint64_t> write_tuples(std::string_view, const authz::WriteRequest&) override { return down(); }
  Result<std::vector<authz::TupleRecord>> load_tuples(std::string_view, std::uint64_t&) override { return down(); }
  Result<std::vector<authz::TupleChange>> changes_since(std::string_view, std::uint64_t) override { return down(); }

 private:
  static Error down() { return make_error(ErrorCode::kUnavailable, "postgres: connection lost: secret detail"); }
};

// A write while the store is away: 503 with Retry-After, and the storage message stays in the log.
TEST_F(OpenFgaApiTest, WriteWithStorageDownIs503WithRetryAfter) {
  auto model = authz::parse_dsl(read_file("examples/demo-policy.fga"));
  ASSERT_TRUE(model.ok());
  auto down = std::make_shared<PolicyService>(new_ulid(), "down", std::make_shared<authz::Engine>(),
                                              std::make_shared<UnavailablePersistence>());
  ASSERT_TRUE(down->write_model(*model).ok());
  auto ex = call_service(down, "write",
                         Json{{"writes", {{"tuple_keys", Json::array({{{"user", "user:alice"},
                                                                       {"relation", "invoker"},
                                                                       {"object", "tool:calendar/list_events"}}})}}}}
                             .dump());
  expect_error(*ex, 503, "unavailable");
  EXPECT_EQ(ex->header("Retry-After"), "1");
  EXPECT_EQ(ex->body().find("secret detail"), std::string::npos) << ex->body();
}

TEST_F(OpenFgaApiTest, BatchCheck) {
  Json body = {{"checks",
                {{{"tuple_key", {{"user", "user:alice"}, {"relation", "can_invoke"}, {"object", "tool:calendar/delete_event"}}},
                  {"correlation_id", "a-1"}},
                 {{"tuple_key", {{"user", "user:bob"}, {"relation", "can_invoke"}, {"object", "tool:calendar/delete_event"}}},
                  {"correlation_id", "b_2"}},
                 {{"tuple_key", {{"user", "user:alice"}, {"relation", "can_invoke"}, {"object", "tool:calendar/list_events"}}},
                  {"correlation_id", "c3"}}}}};
  auto ex = post("batch-check", body);
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  const Json r = ex->json()["result"];
  EXPECT_EQ(r["a-1"], (Json{{"allowed", true}}));
  EXPECT_EQ(r["b_2"], (Json{{"allowed", false}}));
  // Missing condition parameter: a per-check input error.
  ASSERT_TRUE(r["c3"].contains("error")) << r.dump();
  EXPECT_EQ(r["c3"]["error"]["input_error"], "validation_error");
  EXPECT_TRUE(r["c3"]["error"]["message"].is_string());
}

TEST_F(OpenFgaApiTest, BatchCheckRejectsBadCorrelationIdsAndTooManyChecks) {
  Json item = {{"tuple_key", {{"user", "user:alice"}, {"relation", "can_invoke"}, {"object", "tool:calendar/delete_event"}}},
               {"correlation_id", "x"}};
  expect_error(*post("batch-check", {{"checks", {item, item}}}), 400, "validation_error");  // duplicate
  Json bad = item;
  bad["correlation_id"] = "has space";
  expect_error(*post("batch-check", {{"checks", {bad}}}), 400, "validation_error");
  bad["correlation_id"] = std::string(37, 'a');
  expect_error(*post("batch-check", {{"checks", {bad}}}), 400, "validation_error");
  bad.erase("correlation_id");
  expect_error(*post("batch-check", {{"checks", {bad}}}), 400, "validation_error");
  Json many = Json::array();
  for (int i = 0; i < 51; ++i) {
    Json it = item;
    it["correlation_id"] = "c" + std::to_string(i);
    many.push_back(it);
  }
  expect_error(*post("batch-check", {{"checks", many}}), 400, "validation_error");
  expect_error(*post("batch-check", {{"checks", Json::array()}}), 400, "validation_error");
}

// --- write / read / changes ----------------------------------------------------------------

TEST_F(OpenFgaApiTest, WriteThenCheckThenDelete) {
  Json w = {{"writes", {{"tuple_keys", {{{"user", "user:dave"}, {"relation", "invoker"}, {"object", "tool:calendar/delete_event"}}}}}}};
  auto ex = post("write", w);
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(ex->json(), Json::object());
  EXPECT_EQ(post("check", check_body("user:dave", "can_invoke", "tool:calendar/delete_event"))->json()["allowed"], true);
  // Writing it again fails as in OpenFGA, unless on_duplicate is "ignore".
  expect_error(*post("write", w), 400, "write_failed_due_to_invalid_input");
  w["writes"]["on_duplicate"] = "ignore";
  EXPECT_EQ(post("write", w)->status(), 200u);

  Json d = {{"deletes", {{"tuple_keys", {{{"user", "user:dave"}, {"relation", "invoker"}, {"object", "tool:calendar/delete_event"}}}}}}};
  ASSERT_EQ(post("write", d)->status(), 200u);
  EXPECT_EQ(post("check", check_body("user:dave", "can_invoke", "tool:calendar/delete_event"))->json()["allowed"], false);
  expect_error(*post("write", d), 400, "write_failed_due_to_invalid_input");
  d["deletes"]["on_missing"] = "ignore";
  EXPECT_EQ(post("write", d)->status(), 200u);
}

TEST_F(OpenFgaApiTest, WriteWithCondition) {
  Json w = {{"writes",
             {{"tuple_keys",
               {{{"user", "user:*"}, {"relation", "arg_denied"}, {"object", "tool:calendar/delete_event"},
                 {"condition", {{"name", "too_many_results"}, {"context", {{"limit", 5}}}}}}}}}}};
  ASSERT_EQ(post("write", w)->status(), 200u);
  Json r = post("read", {{"tuple_key", {{"object", "tool:calendar/delete_event"}, {"relation", "arg_denied"}}}})->json();
  ASSERT_EQ(r["tuples"].size(), 1u) << r.dump();
  EXPECT_EQ(r["tuples"][0]["key"]["condition"]["name"], "too_many_results");
  EXPECT_EQ(r["tuples"][0]["key"]["condition"]["context"]["limit"], 5);
}

TEST_F(OpenFgaApiTest, WriteRejectsWhatTheModelDoesNotAllow) {
  Json w = {{"writes", {{"tuple_keys", {{{"user", "user:dave"}, {"relation", "agent"}, {"object", "tool:calendar/x"}}}}}}};
  auto ex = post("write", w);
  EXPECT_EQ(ex->status(), 400u) << ex->body();
  EXPECT_EQ(post("check", check_body("user:dave", "agent", "tool:calendar/x"))->json().value("allowed", false), false);
}

TEST_F(OpenFgaApiTest, WriteLimitsAndShapes) {
  Json keys = Json::array();
  for (int i = 0; i < 101; ++i) {
    keys.push_back({{"user", "user:u" + std::to_string(i)}, {"relation", "invoker"}, {"object", "tool:calendar/x"}});
  }
  expect_error(*post("write", {{"writes", {{"tuple_keys", keys}}}}), 400, "exceeded_entity_limit");
  Json half = keys;
  half.erase(half.begin() + 60, half.end());
  expect_error(*post("write", {{"writes", {{"tuple_keys", half}}}, {"deletes", {{"tuple_keys", half}}}}), 400,
               "exceeded_entity_limit");
  expect_error(*post("write", Json::object()), 400, "invalid_write_input");
  expect_error(*post("write", {{"writes", {{"tuple_keys", Json::array()}}}}), 400, "validation_error");
  expect_error(*post("write", {{"writes", {{"tuple_keys", "x"}}}}), 400, "validation_error");
  expect_error(*post("write", {{"writes", {{"tuple_keys", {{{"user", 5}, {"relation", "r"}, {"object", "a:b"}}}}}}}),
               400, "validation_error");
  expect_error(*post("write", {{"writes", {{"tuple_keys", keys[0]}, {"on_duplicate", "maybe"}}}}), 400,
               "validation_error");
  // A condition context over 32 KiB.
  Json big = {{"user", "user:*"}, {"relation", "arg_denied"}, {"object", "tool:calendar/x"},
              {"condition", {{"name", "too_many_results"}, {"context", {{"pad", std::string(33 * 1024, 'a')}}}}}};
  expect_error(*post("write", {{"writes", {{"tuple_keys", {big}}}}}), 400, "validation_error");
  // Deletes take no condition.
  Json cond = {{"user", "user:*"}, {"relation", "arg_denied"}, {"object", "tool:calendar/list_events"},
               {"condition", {{"name", "too_many_results"}}}};
  expect_error(*post("write", {{"deletes", {{"tuple_keys", {cond}}}}}), 400, "validation_error");
}

TEST_F(OpenFgaApiTest, ReadFiltersAndPages) {
  auto ex = post("read", Json::object());
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  Json j = ex->json();
  EXPECT_EQ(j["tuples"].size(), 7u);
  EXPECT_EQ(j["continuation_token"], "");
  EXPECT_TRUE(j["tuples"][0]["timestamp"].is_string());
  EXPECT_TRUE(j["tuples"][0]["key"].contains("user"));

  j = post("read", {{"tuple_key", {{"user", "user:bob"}, {"object", "tool:"}}}})->json();
  ASSERT_EQ(j["tuples"].size(), 1u) << j.dump();
  EXPECT_EQ(j["tuples"][0]["key"], (Json{{"user", "user:bob"}, {"relation", "invoker"}, {"object", "tool:calendar/list_events"}}));

  // Paging visits every tuple exactly once.
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    Json body = {{"page_size", 3}};
    if (!token.empty()) {
      body["continuation_token"] = token;
    }
    auto page = post("read", body);
    ASSERT_EQ(page->status(), 200u) << page->body();
    j = page->json();
    EXPECT_LE(j["tuples"].size(), 3u);
    for (const auto& t : j["tuples"]) {
      EXPECT_TRUE(seen.insert(t["key"].dump()).second);
    }
    token = j["continuation_token"].get<std::string>();
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 7u);
}

TEST_F(OpenFgaApiTest, ReadRejectsBadPagingInput) {
  expect_error(*post("read", {{"page_size", 0}}), 400, "validation_error");
  expect_error(*post("read", {{"page_size", 101}}), 400, "validation_error");
  expect_error(*post("read", {{"page_size", "10"}}), 400, "validation_error");
  expect_error(*post("read", {{"continuation_token", "garbage!"}}), 400, "invalid_continuation_token");
  // A token from another filter is refused.
  Json j = post("read", {{"page_size", 1}})->json();
  const std::string token = j["continuation_token"];
  ASSERT_FALSE(token.empty());
  expect_error(*post("read", {{"page_size", 1}, {"continuation_token", token}, {"tuple_key", {{"object", "tool:"}}}}),
               400, "invalid_continuation_token");
  expect_error(*post("read", {{"tuple_key", {{"user", "user:bob"}}}}), 400, "validation_error");
}

TEST_F(OpenFgaApiTest, ReadChanges) {
  auto ex = get(store() + "/changes?page_size=2");
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  Json j = ex->json();
  ASSERT_EQ(j["changes"].size(), 2u);
  EXPECT_EQ(j["changes"][0]["operation"], "TUPLE_OPERATION_WRITE");
  EXPECT_TRUE(j["changes"][0]["tuple_key"].contains("object"));
  EXPECT_TRUE(j["changes"][0]["timestamp"].is_string());
  std::string token = j["continuation_token"];
  std::size_t total = 2;
  for (int i = 0; i < 10; ++i) {
    j = get(store() + "/changes?page_size=2&continuation_token=" + token)->json();
    total += j["changes"].size();
    if (j["changes"].empty()) {
      EXPECT_EQ(j["continuation_token"], token);  // poll again with the same token
      break;
    }
    token = j["continuation_token"];
  }
  EXPECT_EQ(total, 7u);
  // A delete shows up after the token.
  ASSERT_EQ(post("write", {{"deletes", {{"tuple_keys", {{{"user", "user:bob"}, {"relation", "invoker"}, {"object", "tool:calendar/list_events"}}}}}}})->status(), 200u);
  j = get(store() + "/changes?continuation_token=" + token)->json();
  ASSERT_EQ(j["changes"].size(), 1u);
  EXPECT_EQ(j["changes"][0]["operation"], "TUPLE_OPERATION_DELETE");
  // Type filter.
  j = get(store() + "/changes?type=group")->json();
  EXPECT_EQ(j["changes"].size(), 1u);
  expect_error(*get(store() + "/changes?type=group&continuation_token=" + token), 400, "invalid_continuation_token");
  expect_error(*get(store() + "/changes?page_size=abc"), 400, "validation_error");
  expect_error(*get(store() + "/changes?start_time=yesterday"), 400, "validation_error");
  EXPECT_EQ(get(store() + "/changes?start_time=2020-01-01T00:00:00Z")->json()["changes"].size(), 8u);
  EXPECT_EQ(get(store() + "/changes?start_time=2999-01-01T00:00:00Z")->status(), 400u);
  expect_error(*get(store() + "/changes?type=%zz"), 400, "validation_error");
}

// --- list-objects / list-users / expand ----------------------------------------------------

TEST_F(OpenFgaApiTest, ListObjects) {
  auto ex = post("list-objects", {{"type", "tool"}, {"relation", "can_be_used_by_agent"}, {"user", "client:any"}});
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(ex->json(), (Json{{"objects", {"tool:calendar/delete_event", "tool:calendar/list_events"}}}));
  expect_error(*post("list-objects", {{"type", "tool"}, {"relation", "can_be_used_by_agent"}}), 400, "validation_error");
  expect_error(*post("list-objects", {{"type", "to ol"}, {"relation", "x"}, {"user", "user:a"}}), 400,
               "validation_error");
}

TEST_F(OpenFgaApiTest, ListUsers) {
  Json body = {{"object", {{"type", "group"}, {"id", "staff"}}},
               {"relation", "member"},
               {"user_filters", {{{"type", "user"}}}}};
  auto ex = post("list-users", body);
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(ex->json(), (Json{{"users", {{{"object", {{"type", "user"}, {"id", "alice"}}}}}}}));

  Json agents = {{"object", {{"type", "mcp_server"}, {"id", "calendar"}}},
                 {"relation", "agent"},
                 {"user_filters", {{{"type", "client"}}}}};
  ex = post("list-users", agents);
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(ex->json(), (Json{{"users", {{{"wildcard", {{"type", "client"}}}}}}}));

  Json usersets = {{"object", {{"type", "mcp_server"}, {"id", "calendar"}}},
                   {"relation", "invoker"},
                   {"user_filters", {{{"type", "group"}, {"relation", "member"}}}}};
  ex = post("list-users", usersets);
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  EXPECT_EQ(ex->json(),
            (Json{{"users", {{{"userset", {{"type", "group"}, {"id", "staff"}, {"relation", "member"}}}}}}}));

  // Contextual tuples are a bare array here.
  body["contextual_tuples"] = {{{"user", "user:erin"}, {"relation", "member"}, {"object", "group:staff"}}};
  EXPECT_EQ(post("list-users", body)->json()["users"].size(), 2u);

  Json bad = body;
  bad["user_filters"] = Json::array();
  expect_error(*post("list-users", bad), 400, "validation_error");
  bad["user_filters"] = {{{"type", "user"}}, {{"type", "group"}}};
  expect_error(*post("list-users", bad), 400, "validation_error");
  bad = body;
  bad["object"] = "group:staff";
  expect_error(*post("list-users", bad), 400, "validation_error");
  bad["object"] = {{"type", "group"}, {"id", "a#b"}};
  expect_error(*post("list-users", bad), 400, "validation_error");
}

TEST_F(OpenFgaApiTest, Expand) {
  auto ex = post("expand", {{"tuple_key", {{"relation", "member"}, {"object", "group:staff"}}}});
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  const Json j = ex->json();
  ASSERT_TRUE(j.contains("tree")) << j.dump();
  EXPECT_EQ(j["tree"]["root"]["name"], "group:staff#member");
  expect_error(*post("expand", Json::object()), 400, "validation_error");
  expect_error(*post("expand", {{"tuple_key", {{"object", "group:staff"}}}}), 400, "validation_error");
}

// --- authorization models ------------------------------------------------------------------

TEST_F(OpenFgaApiTest, AuthorizationModels) {
  auto ex = get(store() + "/authorization-models");
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  Json j = ex->json();
  ASSERT_EQ(j["authorization_models"].size(), 1u);
  EXPECT_EQ(j["authorization_models"][0]["id"], model_id_);
  EXPECT_EQ(j["authorization_models"][0]["schema_version"], "1.1");
  EXPECT_TRUE(j["authorization_models"][0]["type_definitions"].is_array());
  EXPECT_EQ(j["continuation_token"], "");

  ex = get(store() + "/authorization-models/" + model_id_);
  ASSERT_EQ(ex->status(), 200u);
  EXPECT_EQ(ex->json()["authorization_model"]["id"], model_id_);
  expect_error(*get(store() + "/authorization-models/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 400,
               "authorization_model_not_found");
  expect_error(*get(store() + "/authorization-models/xyz"), 400, "validation_error");

  // Write a new model (the JSON of the current one, plus a type): it becomes current.
  Json model = j["authorization_models"][0];
  model.erase("id");
  model["type_definitions"].push_back({{"type", "extra"}});
  ex = call(http::bhttp::verb::post, store() + "/authorization-models", model.dump());
  ASSERT_EQ(ex->status(), 201u) << ex->body();
  const std::string new_id = ex->json()["authorization_model_id"];
  EXPECT_EQ(service_->current_model_id(), new_id);
  j = get(store() + "/authorization-models?page_size=1")->json();
  ASSERT_EQ(j["authorization_models"].size(), 1u);
  EXPECT_EQ(j["authorization_models"][0]["id"], new_id);  // newest first
  const std::string token = j["continuation_token"];
  ASSERT_FALSE(token.empty());
  j = get(store() + "/authorization-models?page_size=1&continuation_token=" + token)->json();
  ASSERT_EQ(j["authorization_models"].size(), 1u);
  EXPECT_EQ(j["authorization_models"][0]["id"], model_id_);
  // The old id is no longer accepted for queries.
  Json body = check_body("user:alice", "can_invoke", "tool:calendar/delete_event");
  body["authorization_model_id"] = model_id_;
  expect_error(*post("check", body), 400, "authorization_model_not_found");
}

TEST_F(OpenFgaApiTest, BadModelsAreRejected) {
  auto write = [&](const std::string& body) {
    return call(http::bhttp::verb::post, store() + "/authorization-models", body);
  };
  // Undefined relation.
  Json bad = {{"schema_version", "1.1"},
              {"type_definitions", {{{"type", "doc"}, {"relations", {{"viewer", {{"computedUserset", {{"relation", "nope"}}}}}}}}}}};
  expect_error(*write(bad.dump()), 400, "invalid_authorization_model");
  expect_error(*write("{\"schema_version\":"), 400, "validation_error");
  expect_error(*write("[]"), 400, "validation_error");
  expect_error(*write(R"({"schema_version":"1.1","type_definitions":"x"})"), 400, "validation_error");
  expect_error(*write(std::string(300 * 1024, ' ')), 400, "exceeded_entity_limit");
  EXPECT_EQ(service_->models().size(), 1u);
}

// --- hostile input -------------------------------------------------------------------------

TEST_F(OpenFgaApiTest, MalformedJsonIsAClear400) {
  for (const std::string& body : std::vector<std::string>{"{", "nul", "[1,2]", "\"str\"", "{\"tuple_key\":}", "{\"a\":1}}",
                                 std::string("{\"tuple_key\":{\"user\":\"\xff\xfe\"}}")}) {
    auto ex = post_raw("check", body);
    EXPECT_EQ(ex->status(), 400u) << body;
    EXPECT_EQ(ex->json().value("code", ""), "validation_error") << body;
  }
}

TEST_F(OpenFgaApiTest, DeepNestingIsRefusedWithoutRecursion) {
  const std::string deep = "{\"context\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto ex = post_raw("check", deep);
  expect_error(*ex, 400, "validation_error");
}

TEST_F(OpenFgaApiTest, WrongTypesAre400) {
  for (const Json& body : {Json{{"tuple_key", "user:alice"}},
                           Json{{"tuple_key", {{"user", 1}, {"relation", "r"}, {"object", "a:b"}}}},
                           Json{{"tuple_key", {{"user", "user:a"}, {"relation", Json::array()}, {"object", "a:b"}}}},
                           Json{{"tuple_key", {{"user", "user:a"}, {"relation", "can_invoke"}, {"object", "tool:x"}}},
                                {"context", "x"}},
                           Json{{"tuple_key", {{"user", "user:a"}, {"relation", "can_invoke"}, {"object", "tool:x"}}},
                                {"contextual_tuples", 5}},
                           Json{{"tuple_key", {{"user", "user:a"}, {"relation", "can_invoke"}, {"object", "tool:x"}}},
                                {"authorization_model_id", 7}}}) {
    expect_error(*post("check", body), 400, "validation_error");
  }
}

TEST_F(OpenFgaApiTest, OversizedInputsAre400) {
  Json body = check_body("user:alice", "can_invoke", "tool:calendar/delete_event");
  body["context"] = {{"pad", std::string(33 * 1024, 'x')}};
  expect_error(*post("check", body), 400, "validation_error");
  body.erase("context");
  Json ctx = Json::array();
  for (int i = 0; i < 101; ++i) {
    ctx.push_back({{"user", "user:u" + std::to_string(i)}, {"relation", "member"}, {"object", "group:staff"}});
  }
  body["contextual_tuples"] = {{"tuple_keys", ctx}};
  expect_error(*post("check", body), 400, "validation_error");
  expect_error(*post("check", check_body(std::string(600, 'u'), "can_invoke", "tool:x")), 400, "validation_error");
  expect_error(*post("check", check_body("user:a", std::string(51, 'r'), "tool:x")), 400, "validation_error");
  expect_error(*post("check", check_body("user:a", "can_invoke", "tool:" + std::string(300, 'x'))), 400,
               "validation_error");
  expect_error(*post_raw("check", std::string(2 * 1024 * 1024, ' ')), 400, "validation_error");
}

TEST_F(OpenFgaApiTest, HostileStringsNeverAllow) {
  for (const std::string& user : std::vector<std::string>{"user:alice#member", "user:*", "group:staff#member", std::string("user:alice\0", 11),
                                 "user:alice ", "user:", ":alice", "user:al\nice", "user:alice@x", "user"}) {
    auto ex = post("check", check_body(user, "can_invoke", "tool:calendar/delete_event"));
    const Json j = ex->json();
    if (ex->status() == 200u) {
      // Only the genuine userset of staff may be related; nothing else is allowed.
      EXPECT_TRUE(j["allowed"] == false || user == "group:staff#member") << user << " " << ex->body();
    } else {
      EXPECT_EQ(ex->status(), 400u) << user << " " << ex->body();
    }
  }
  for (const std::string& relation : std::vector<std::string>{"can_invoke#x", "can invoke", "a:b", "@"}) {
    EXPECT_EQ(post("check", check_body("user:alice", relation, "tool:calendar/delete_event"))->status(), 400u)
        << relation;
  }
}

TEST_F(OpenFgaApiTest, EveryRequestGetsExactlyOneResponse) {
  EXPECT_EQ(post("check", check_body("user:alice", "can_invoke", "tool:calendar/delete_event"))->responses(), 1);
  EXPECT_EQ(post_raw("check", "{")->responses(), 1);
  EXPECT_EQ(call(http::bhttp::verb::get, "/stores", "", std::nullopt)->responses(), 1);
}


// --- one store per organization (issue 8) --------------------------------------------------

class OrgStoresApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = authz::parse_dsl(read_file("examples/demo-policy.fga"));
    ASSERT_TRUE(model.ok()) << model.error().message;
    for (const char* org : {"default", "acme", "globex"}) {
      auto service = std::make_shared<PolicyService>(new_ulid(), std::string("mcpgate/") + org,
                                                     std::make_shared<authz::Engine>());
      ASSERT_TRUE(service->write_model(*model).ok());
      stores_.push_back(OrgStore{org, service});
    }
    OpenFgaApiOptions options;
    options.admin_token = kToken;
    ASSERT_TRUE(mount_openfga_api(router_, stores_, executor_, options).ok());
  }

  std::unique_ptr<FakeExchange> call(http::bhttp::verb method, const std::string& target,
                                     const std::string& body = "") {
    http::Request req{method, target, 11};
    req.set(http::Field::authorization, std::string("Bearer ") + kToken);
    if (!body.empty()) {
      req.set(http::Field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    asio::io_context ioc;
    auto ex = std::make_unique<FakeExchange>(ioc.get_executor(), std::move(req));
    asio::co_spawn(ioc, router_.dispatch(*ex), Rethrow());
    ioc.run();
    return ex;
  }

  std::string store(std::size_t i) const { return "/stores/" + stores_[i].service->store_id(); }

  bool allowed(std::size_t i, const std::string& user) {
    const Json body = {{"tuple_key", {{"user", user}, {"relation", "invoker"}, {"object", "mcp_server:calendar"}}}};
    auto ex = call(http::bhttp::verb::post, store(i) + "/check", body.dump());
    EXPECT_EQ(ex->status(), 200u) << ex->body();
    return ex->json().value("allowed", false);
  }

  store::Executor executor_{1};
  OrgStores stores_;  // default, acme, globex
  http::Router router_;
};

TEST_F(OrgStoresApiTest, ListsEveryOrganizationsStoreSayingWhose) {
  auto ex = call(http::bhttp::verb::get, "/stores");
  ASSERT_EQ(ex->status(), 200u) << ex->body();
  const Json j = ex->json();
  ASSERT_EQ(j["stores"].size(), 3u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(j["stores"][i]["id"], stores_[i].service->store_id());
    EXPECT_EQ(j["stores"][i]["organization"], stores_[i].org_id);
    EXPECT_EQ(j["stores"][i]["name"], "mcpgate/" + stores_[i].org_id);
    ids.insert(j["stores"][i]["id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(j["continuation_token"], "");
  auto one = call(http::bhttp::verb::get, store(1));
  ASSERT_EQ(one->status(), 200u) << one->body();
  EXPECT_EQ(one->json()["organization"], "acme");
}

TEST_F(OrgStoresApiTest, TheStoreListPages) {
  auto first = call(http::bhttp::verb::get, "/stores?page_size=2");
  ASSERT_EQ(first->status(), 200u) << first->body();
  ASSERT_EQ(first->json()["stores"].size(), 2u);
  const std::string token = first->json()["continuation_token"];
  ASSERT_FALSE(token.empty());
  auto second = call(http::bhttp::verb::get, "/stores?page_size=2&continuation_token=" + token);
  ASSERT_EQ(second->status(), 200u) << second->body();
  ASSERT_EQ(second->json()["stores"].size(), 1u);
  EXPECT_EQ(second->json()["stores"][0]["organization"], "globex");
  EXPECT_EQ(second->json()["continuation_token"], "");
  // A token of another kind, or garbage, is refused.
  auto bad = call(http::bhttp::verb::get, "/stores?continuation_token=eyJrIjoicmVhZCJ9");
  EXPECT_EQ(bad->status(), 400u) << bad->body();
  EXPECT_EQ(call(http::bhttp::verb::get, "/stores?page_size=0")->status(), 400u);
}

TEST_F(OrgStoresApiTest, EachRouteServesItsOwnOrganizationsStoreOnly) {
  // globex grants calendar to alice, then to every user of its store.
  const Json write = {{"writes",
                       {{"tuple_keys",
                         {{{"user", "user:alice"}, {"relation", "invoker"}, {"object", "mcp_server:calendar"}},
                          {{"user", "user:bob"}, {"relation", "invoker"}, {"object", "mcp_server:calendar"}}}}}}};
  auto w = call(http::bhttp::verb::post, store(2) + "/write", write.dump());
  ASSERT_EQ(w->status(), 200u) << w->body();
  EXPECT_TRUE(allowed(2, "user:alice"));
  EXPECT_FALSE(allowed(1, "user:alice"));
  EXPECT_FALSE(allowed(0, "user:alice"));
  // Reads, changes and list-objects of acme see nothing of it.
  auto read = call(http::bhttp::verb::post, store(1) + "/read", "{}");
  ASSERT_EQ(read->status(), 200u) << read->body();
  EXPECT_TRUE(read->json()["tuples"].empty());
  auto changes = call(http::bhttp::verb::get, store(1) + "/changes");
  ASSERT_EQ(changes->status(), 200u) << changes->body();
  EXPECT_TRUE(changes->json()["changes"].empty());
  const Json objects = {{"type", "mcp_server"}, {"relation", "invoker"}, {"user", "user:alice"}};
  auto listed = call(http::bhttp::verb::post, store(1) + "/list-objects", objects.dump());
  ASSERT_EQ(listed->status(), 200u) << listed->body();
  EXPECT_TRUE(listed->json()["objects"].empty());
  EXPECT_EQ(stores_[2].service->engine().revision(), 1u);
  EXPECT_EQ(stores_[1].service->engine().revision(), 0u);
  // The same grant written to acme's store now allows there.
  auto w2 = call(http::bhttp::verb::post, store(1) + "/write", write.dump());
  ASSERT_EQ(w2->status(), 200u) << w2->body();
  EXPECT_TRUE(allowed(1, "user:alice"));
  // A model written to one store stays there.
  auto models = call(http::bhttp::verb::get, store(0) + "/authorization-models");
  ASSERT_EQ(models->status(), 200u);
  const std::size_t before = models->json()["authorization_models"].size();
  const std::string model = authz::model_to_json(*authz::parse_dsl(read_file("examples/demo-policy.fga"))).dump();
  ASSERT_EQ(call(http::bhttp::verb::post, store(1) + "/authorization-models", model)->status(), 201u);
  EXPECT_EQ(call(http::bhttp::verb::get, store(0) + "/authorization-models")->json()["authorization_models"].size(),
            before);
  EXPECT_EQ(call(http::bhttp::verb::get, store(1) + "/authorization-models")->json()["authorization_models"].size(),
            before + 1);
}

TEST_F(OrgStoresApiTest, AnIdThatIsNoOrganizationsStoreIs404) {
  const std::string unknown = "/stores/01ARZ3NDEKTSV4RRFFQ69G5FAV";
  for (const std::string& target : {unknown, unknown + "/read", unknown + "/check", unknown + "/write"}) {
    auto ex = call(target == unknown ? http::bhttp::verb::get : http::bhttp::verb::post, target, "{}");
    EXPECT_EQ(ex->status(), 404u) << target << ": " << ex->body();
    EXPECT_EQ(ex->json().value("code", ""), "store_id_not_found") << target;
  }
}

}  // namespace
}  // namespace mcpgate::policy
