// The endpoint's use of a ToolAuthorizer: it runs after argument validation with the arguments
// the tool would get (defaults filled), a denial is a JSON-RPC error that leaves the session
// usable and never runs the tool, and tools/list shows only what may_list() allows. The
// authorizer is a fake; src/policy tests the real one (the authz engine bound to MCP).

#include <gtest/gtest.h>

#include <mutex>

#include "mcp/endpoint.hpp"
#include "mcp/endpoint_test_tools.hpp"
#include "mcp/test_exchange.hpp"

namespace mcpgate::mcp {
namespace {

using testing::Harness;

// Denies echo of "secret"; hides "chatty" from lists; records what it was shown.
class FakeAuthorizer final : public ToolAuthorizer {
 public:
  ToolDecision authorize_call(const ToolCall& call) const override {
    std::lock_guard lock(mu);
    ++calls;
    const std::string name = call.tool->descriptor.value("name", "");
    last_tool = name;
    last_arguments = *call.arguments;
    last_source_ip = std::string(call.source_ip);
    had_schema = call.tool->descriptor.contains("inputSchema");
    if (name == "echo" && call.arguments->value("text", "") == "secret") {
      return {false, "dec-1", "tool echo is not permitted for this client"};
    }
    return {true, "dec-ok", ""};
  }

  std::vector<bool> may_list(const Caller*, const std::vector<Tool>& tools) const override {
    std::vector<bool> out;
    for (const auto& t : tools) {
      out.push_back(t.descriptor.value("name", "") != "chatty");
    }
    return out;
  }

  mutable std::mutex mu;
  mutable int calls = 0;
  mutable std::string last_tool;
  mutable Json last_arguments;
  mutable std::string last_source_ip;
  mutable bool had_schema = false;
};

asio::awaitable<Result<Json>> counting_tool(Json args, ToolContext&) {
  static std::atomic<int> runs{0};
  ++runs;
  co_return tool_result_text("ran:" + std::to_string(runs.load()) + ":" + args.value("n", std::string("-")));
}

using testing::request;

class AuthorizerEndpointTest : public ::testing::Test {
 protected:
  AuthorizerEndpointTest() : authorizer(std::make_shared<FakeAuthorizer>()), h(options(authorizer)) {
    testing::register_test_tools(h.registry());
    h.registry().add_tool({Json{{"name", "with_default"},
                                {"description", "Has a defaulted argument"},
                                {"inputSchema",
                                 {{"type", "object"},
                                  {"properties", {{"n", {{"type", "string"}, {"default", "dflt"}}}}}}}},
                           counting_tool});
  }

  static EndpointOptions options(std::shared_ptr<FakeAuthorizer> a) {
    EndpointOptions o;
    o.authorizer = std::move(a);
    return o;
  }

  std::string open_session() {
    auto init = h.post(request(0,
                               "initialize",
                               {{"protocolVersion", "2025-11-25"},
                                {"capabilities", Json::object()},
                                {"clientInfo", {{"name", "t"}, {"version", "1"}}}}));
    EXPECT_EQ(init->status(), 200u);
    const std::string sid = init->header("Mcp-Session-Id");
    h.post(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
           {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
    return sid;
  }

  static std::map<std::string, std::string> in_session(const std::string& sid) {
    return {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}};
  }

  std::shared_ptr<FakeAuthorizer> authorizer;
  Harness h;
};

TEST_F(AuthorizerEndpointTest, DeniedCallIsAJsonRpcErrorWithDecisionIdAndTheToolDoesNotRun) {
  const std::string sid = open_session();
  auto call = h.post(request(1, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "secret"}}}}),
                     in_session(sid));
  ASSERT_EQ(call->status(), 200u);
  const Json body = call->json();
  ASSERT_TRUE(body.contains("error")) << body.dump();
  EXPECT_EQ(body["error"]["code"], -31403);
  EXPECT_EQ(body["error"]["message"], "tool echo is not permitted for this client");
  EXPECT_EQ(body["error"]["data"]["decisionId"], "dec-1");
  EXPECT_EQ(body["error"]["data"]["tool"], "echo");
  EXPECT_EQ(call->body().find("echo:secret"), std::string::npos);
}

TEST_F(AuthorizerEndpointTest, SessionStaysUsableAfterADenial) {
  const std::string sid = open_session();
  h.post(request(1, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "secret"}}}}), in_session(sid));
  auto ok = h.post(request(2, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "fine"}}}}),
                   in_session(sid));
  ASSERT_EQ(ok->status(), 200u);
  EXPECT_NE(ok->body().find("echo:fine"), std::string::npos) << ok->body();
}

TEST_F(AuthorizerEndpointTest, AuthorizerSeesValidatedArgumentsWithDefaultsAndThePeerAddress) {
  const std::string sid = open_session();
  auto call = h.post(request(1, "tools/call", {{"name", "with_default"}, {"arguments", Json::object()}}),
                     in_session(sid));
  ASSERT_EQ(call->status(), 200u);
  std::lock_guard lock(authorizer->mu);
  EXPECT_EQ(authorizer->last_tool, "with_default");
  EXPECT_EQ(authorizer->last_arguments, (Json{{"n", "dflt"}}));
  EXPECT_TRUE(authorizer->had_schema);
  EXPECT_FALSE(authorizer->last_source_ip.empty());
}

TEST_F(AuthorizerEndpointTest, ArgumentsThatViolateTheSchemaAreRejectedBeforeAuthorization) {
  const std::string sid = open_session();
  auto call = h.post(request(1, "tools/call", {{"name", "echo"}, {"arguments", {{"text", 42}}}}),
                     in_session(sid));
  ASSERT_EQ(call->status(), 200u);
  EXPECT_EQ(call->json()["error"]["code"], -32602);
  std::lock_guard lock(authorizer->mu);
  EXPECT_EQ(authorizer->calls, 0);
}

TEST_F(AuthorizerEndpointTest, ToolsListShowsOnlyToolsTheAuthorizerLists) {
  const std::string sid = open_session();
  auto list = h.post(request(1, "tools/list"), in_session(sid));
  ASSERT_EQ(list->status(), 200u);
  bool echo = false;
  bool chatty = false;
  const Json body = list->json();
  for (const auto& t : body["result"]["tools"]) {
    echo = echo || t["name"] == "echo";
    chatty = chatty || t["name"] == "chatty";
  }
  EXPECT_TRUE(echo);
  EXPECT_FALSE(chatty);
}

TEST_F(AuthorizerEndpointTest, StatelessEraCallsAreAuthorizedToo) {
  auto call = h.post(testing::modern_request(3, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "secret"}}}}),
                     testing::modern_headers("tools/call", "echo"));
  ASSERT_EQ(call->status(), 200u) << call->body();
  EXPECT_EQ(call->json()["error"]["code"], -31403);
}

}  // namespace
}  // namespace mcpgate::mcp
