// The endpoint's use of an AccessPolicy: authentication before the protocol, tools/list
// filtering, 403 before a refused tools/call runs, sessions bound to (user, client), and the
// caller handed to tools. The policy here is a fake; src/oauth/bearer_guard_test.cpp tests the
// real one.

#include <gtest/gtest.h>

#include <atomic>

#include "mcp/endpoint.hpp"
#include "mcp/endpoint_test_tools.hpp"
#include "mcp/test_exchange.hpp"

namespace mcpgate::mcp {
namespace {

using testing::Harness;

// Credential format: "Authorization: Bearer <user>:<client>:<scope>,<scope>".
// Tool "echo" needs scope "echo"; every other tool needs none.
class FakePolicy final : public AccessPolicy {
 public:
  std::variant<Caller, http::Response> authenticate(const http::Request& req) const override {
    ++authentications;
    const std::string auth(http::header(req, "Authorization"));
    if (auth.rfind("Bearer ", 0) != 0) {
      http::Response res = http::make_response(http::StatusCode::unauthorized, "{}", "application/json");
      res.set(http::Field::www_authenticate, "Bearer realm=\"test\"");
      return res;
    }
    const std::string cred = auth.substr(7);
    const auto a = cred.find(':');
    const auto b = cred.find(':', a + 1);
    Caller c{cred.substr(0, a), cred.substr(a + 1, b - a - 1), {}, ""};
    std::string scopes = cred.substr(b + 1);
    size_t pos = 0;
    while (pos < scopes.size()) {
      auto comma = scopes.find(',', pos);
      if (comma == std::string::npos) {
        comma = scopes.size();
      }
      c.scopes.push_back(scopes.substr(pos, comma - pos));
      pos = comma + 1;
    }
    return c;
  }

  bool may_call(const Caller& caller, std::string_view tool) const override {
    if (tool != "echo") {
      return true;
    }
    for (const auto& s : caller.scopes) {
      if (s == "echo") {
        return true;
      }
    }
    return false;
  }

  http::Response forbid_tool(const Caller&, std::string_view tool) const override {
    http::Response res = http::make_response(http::StatusCode::forbidden, "{}", "application/json");
    res.set(http::Field::www_authenticate,
            "Bearer error=\"insufficient_scope\", scope=\"" + std::string(tool) + "\"");
    return res;
  }

  mutable std::atomic<int> authentications{0};
};

asio::awaitable<Result<Json>> whoami_tool(Json, ToolContext& ctx) {
  const Caller* caller = ctx.caller();
  co_return tool_result_text(ctx.subject() + "/" + (caller ? caller->client_id : "-"));
}

using testing::request;

class AccessEndpointTest : public ::testing::Test {
 protected:
  AccessEndpointTest() : policy(std::make_shared<FakePolicy>()), h(options(policy)) {
    testing::register_test_tools(h.registry());
    h.registry().add_tool({Json{{"name", "whoami"},
                                {"description", "Who is calling"},
                                {"inputSchema", {{"type", "object"}}}},
                           whoami_tool});
  }

  static EndpointOptions options(std::shared_ptr<FakePolicy> p) {
    EndpointOptions o;
    o.access = std::move(p);
    return o;
  }

  std::string open_session(const std::string& cred) {
    auto init = h.post(request(0,
                               "initialize",
                               {{"protocolVersion", "2025-11-25"},
                                {"capabilities", Json::object()},
                                {"clientInfo", {{"name", "t"}, {"version", "1"}}}}),
                       {{"Authorization", "Bearer " + cred}});
    EXPECT_EQ(init->status(), 200u);
    const std::string sid = init->header("Mcp-Session-Id");
    h.post(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
           {{"Mcp-Session-Id", sid},
            {"MCP-Protocol-Version", "2025-11-25"},
            {"Authorization", "Bearer " + cred}});
    return sid;
  }

  std::map<std::string, std::string> in_session(const std::string& sid, const std::string& cred) {
    return {{"Mcp-Session-Id", sid},
            {"MCP-Protocol-Version", "2025-11-25"},
            {"Authorization", "Bearer " + cred}};
  }

  static std::vector<std::string> tool_names(const Json& result) {
    std::vector<std::string> names;
    for (const auto& t : result["tools"]) {
      names.push_back(t["name"].get<std::string>());
    }
    return names;
  }

  std::shared_ptr<FakePolicy> policy;
  Harness h;
};

TEST_F(AccessEndpointTest, RequestWithoutCredentialGetsThePolicysRefusalAndNoSession) {
  auto ex = h.post(request(0,
                           "initialize",
                           {{"protocolVersion", "2025-11-25"},
                            {"capabilities", Json::object()},
                            {"clientInfo", {{"name", "t"}, {"version", "1"}}}}));
  EXPECT_EQ(ex->status(), 401u);
  EXPECT_EQ(ex->header("WWW-Authenticate"), "Bearer realm=\"test\"");
  EXPECT_TRUE(ex->header("Mcp-Session-Id").empty());
  EXPECT_EQ(h.endpoint().session_count(), 0u);
}

TEST_F(AccessEndpointTest, EveryMethodIsAuthenticatedIncludingGetAndDelete) {
  const std::string sid = open_session("alice:app:echo");
  testing::RequestSpec get;
  get.method = http::bhttp::verb::get;
  get.headers["Mcp-Session-Id"] = sid;
  get.headers["Accept"] = "text/event-stream";
  EXPECT_EQ(h.call(get)->status(), 401u);
  testing::RequestSpec del;
  del.method = http::bhttp::verb::delete_;
  del.headers["Mcp-Session-Id"] = sid;
  EXPECT_EQ(h.call(del)->status(), 401u);
  EXPECT_EQ(h.endpoint().session_count(), 1u);  // an unauthenticated DELETE ends nothing
}

TEST_F(AccessEndpointTest, ToolsListHidesToolsTheCallerMayNotCall) {
  const std::string without = open_session("alice:app:other");
  auto list = h.post(request(1, "tools/list"), in_session(without, "alice:app:other"));
  ASSERT_EQ(list->status(), 200u);
  auto names = tool_names(list->json()["result"]);
  EXPECT_EQ(std::count(names.begin(), names.end(), "echo"), 0);
  EXPECT_EQ(std::count(names.begin(), names.end(), "whoami"), 1);

  const std::string with = open_session("alice:app:echo");
  auto list2 = h.post(request(1, "tools/list"), in_session(with, "alice:app:echo"));
  auto names2 = tool_names(list2->json()["result"]);
  EXPECT_EQ(std::count(names2.begin(), names2.end(), "echo"), 1);
}

TEST_F(AccessEndpointTest, RefusedToolsCallIs403FromThePolicyAndTheToolDoesNotRun) {
  const std::string sid = open_session("alice:app:other");
  auto call = h.post(request(2, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "x"}}}}),
                     in_session(sid, "alice:app:other"));
  EXPECT_EQ(call->status(), 403u);
  EXPECT_EQ(call->header("WWW-Authenticate"), "Bearer error=\"insufficient_scope\", scope=\"echo\"");
  EXPECT_EQ(call->body().find("echo:x"), std::string::npos);
}

TEST_F(AccessEndpointTest, RefusedToolsCallIs403InTheStatelessEraToo) {
  auto headers = testing::modern_headers("tools/call", "echo");
  headers["Authorization"] = "Bearer alice:app:other";
  auto call = h.post(testing::modern_request(3, "tools/call", {{"name", "echo"}, {"arguments", Json::object()}}),
                     headers);
  EXPECT_EQ(call->status(), 403u);
  headers["Authorization"] = "Bearer alice:app:echo";
  auto ok = h.post(testing::modern_request(4, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "y"}}}}),
                   headers);
  EXPECT_EQ(ok->status(), 200u);
  EXPECT_NE(ok->body().find("echo:y"), std::string::npos);
}

TEST_F(AccessEndpointTest, PermittedToolsCallRunsWithTheCallerVisibleToTheTool) {
  const std::string sid = open_session("alice:agent-1:echo");
  auto call = h.post(request(5, "tools/call", {{"name", "whoami"}, {"arguments", Json::object()}}),
                     in_session(sid, "alice:agent-1:echo"));
  ASSERT_EQ(call->status(), 200u);
  EXPECT_NE(call->body().find("alice/agent-1"), std::string::npos) << call->body();
}

TEST_F(AccessEndpointTest, SessionIsBoundToUserAndClient) {
  const std::string sid = open_session("alice:app:echo");
  // Another user with the session id: not found.
  auto other_user = h.post(request(6, "tools/list"), in_session(sid, "bob:app:echo"));
  EXPECT_EQ(other_user->status(), 404u);
  // The same user through another client (agent): not found either.
  auto other_client = h.post(request(7, "tools/list"), in_session(sid, "alice:other-app:echo"));
  EXPECT_EQ(other_client->status(), 404u);
  // The owner still works.
  auto owner = h.post(request(8, "tools/list"), in_session(sid, "alice:app:echo"));
  EXPECT_EQ(owner->status(), 200u);
}

}  // namespace
}  // namespace mcpgate::mcp
