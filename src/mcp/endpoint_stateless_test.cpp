// Stateless-era (2026-07-28) behaviour of the Streamable HTTP endpoint.

#include <gtest/gtest.h>

#include "mcp/endpoint.hpp"
#include "mcp/endpoint_test_tools.hpp"
#include "mcp/test_exchange.hpp"

namespace mcpgate::mcp {
namespace {

using testing::FakeExchange;
using testing::Harness;
using testing::modern_headers;
using testing::modern_request;
using testing::RequestSpec;

class StatelessEndpointTest : public ::testing::Test {
 protected:
  StatelessEndpointTest() { testing::register_test_tools(h.registry()); }

  std::unique_ptr<FakeExchange> send(int id,
                                     const std::string& method,
                                     Json params = Json::object(),
                                     Json caps = Json::object(),
                                     const std::string& name = "") {
    return h.post(modern_request(id, method, std::move(params), std::move(caps)),
                  modern_headers(method, name));
  }

  Harness h;
};

// -32042 is a 2025-11-25 code: a stateless-era client gets the tool error with the link even
// when it declares elicitation.url.
TEST_F(StatelessEndpointTest, UrlElicitationIsAToolErrorInTheStatelessEra) {
  testing::register_connect_first_tool(h.registry());
  auto ex = send(6, "tools/call", {{"name", "connect_first"}},
                 Json{{"elicitation", {{"url", Json::object()}}}}, "connect_first");
  ASSERT_EQ(ex->status(), 200u);
  const Json msg = ex->json();
  EXPECT_FALSE(msg.contains("error")) << msg.dump();
  EXPECT_TRUE(msg["result"]["isError"].get<bool>());
  EXPECT_EQ(msg["result"]["content"][0]["text"],
            "Connect your account: open https://gate.example/connect/fake");
}

TEST_F(StatelessEndpointTest, DiscoverReportsVersionsCapabilitiesAndServerInfo) {
  auto ex = send(1, "server/discover");
  ASSERT_EQ(ex->status(), 200u);
  const Json r = ex->json()["result"];
  EXPECT_EQ(r["supportedVersions"], Json::array({"2026-07-28"}));
  EXPECT_TRUE(r["capabilities"]["tools"]["listChanged"].get<bool>());
  EXPECT_EQ(r["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "mcpgate");
  EXPECT_EQ(r["resultType"], "complete");
  EXPECT_TRUE(r["ttlMs"].is_number_integer());
  EXPECT_EQ(r["cacheScope"], "public");
  EXPECT_TRUE(ex->header("Mcp-Session-Id").empty());
}

TEST_F(StatelessEndpointTest, MissingMetaFieldsAre400InvalidParamsWithTheRequestId) {
  auto no_meta = h.post(Json{{"jsonrpc", "2.0"},
                             {"id", 101},
                             {"method", "server/discover"},
                             {"params", Json::object()}},
                        modern_headers("server/discover"));
  EXPECT_EQ(no_meta->status(), 400u);
  EXPECT_EQ(no_meta->json()["error"]["code"], -32602);
  EXPECT_EQ(no_meta->json()["id"], 101);
  Json body = modern_request(102, "server/discover");
  body["params"]["_meta"].erase("io.modelcontextprotocol/clientCapabilities");
  auto no_caps = h.post(body, modern_headers("server/discover"));
  EXPECT_EQ(no_caps->status(), 400u);
  EXPECT_EQ(no_caps->json()["error"]["code"], -32602);
}

TEST_F(StatelessEndpointTest, VersionHeaderMismatchIsMinus32020AndUnknownVersionIsMinus32022) {
  Json body = modern_request(302, "server/discover");
  body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "v999.0.0";
  auto mismatch = h.post(body, modern_headers("server/discover"));
  EXPECT_EQ(mismatch->status(), 400u);
  EXPECT_EQ(mismatch->json()["error"]["code"], -32020);
  auto headers = modern_headers("server/discover");
  headers["MCP-Protocol-Version"] = "v999.0.0";
  body["id"] = 301;
  auto unsupported = h.post(body, headers);
  EXPECT_EQ(unsupported->status(), 400u);
  EXPECT_EQ(unsupported->json()["error"]["code"], -32022);
  EXPECT_EQ(unsupported->json()["error"]["data"]["supported"], Json::array({"2026-07-28"}));
  EXPECT_EQ(unsupported->json()["error"]["data"]["requested"], "v999.0.0");
  EXPECT_EQ(unsupported->json()["id"], 301);
}

TEST_F(StatelessEndpointTest, McpMethodAndNameHeadersMustMatchTheBody) {
  auto wrong_method = h.post(modern_request(1, "tools/list"), modern_headers("prompts/list"));
  EXPECT_EQ(wrong_method->status(), 400u);
  EXPECT_EQ(wrong_method->json()["error"]["code"], -32020);
  auto headers = modern_headers("tools/list");
  headers.erase("Mcp-Method");
  EXPECT_EQ(h.post(modern_request(2, "tools/list"), headers)->status(), 400u);
  auto upper = modern_headers("tools/list");
  upper["Mcp-Method"] = "TOOLS/LIST";
  EXPECT_EQ(h.post(modern_request(3, "tools/list"), upper)->status(), 400u);

  const Json call =
      modern_request(4, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "x"}}}});
  EXPECT_EQ(h.post(call, modern_headers("tools/call", "wrong"))->status(), 400u);
  EXPECT_EQ(h.post(call, modern_headers("tools/call"))->status(), 400u);  // Mcp-Name missing
  EXPECT_EQ(h.post(call, modern_headers("tools/call", "  echo  "))->status(), 200u);  // OWS trimmed
  EXPECT_EQ(h.post(call, modern_headers("tools/call", "=?base64?" + base64_encode("echo") + "?="))
                ->status(),
            200u);
  EXPECT_EQ(h.post(call, modern_headers("tools/call", "=?base64?ZWNobw?="))->status(),
            400u);  // bad padding
}

TEST_F(StatelessEndpointTest, RemovedAndUnknownMethodsAre404MethodNotFound) {
  for (const char* m :
       {"initialize", "ping", "logging/setLevel", "resources/subscribe", "unknown/method"}) {
    auto ex = send(500, m);
    EXPECT_EQ(ex->status(), 404u) << m;
    EXPECT_EQ(ex->json()["error"]["code"], -32601) << m;
    EXPECT_EQ(ex->json()["id"], 500) << m;
  }
}

TEST_F(StatelessEndpointTest, ResultsCarryResultTypeAndCachingHints) {
  auto tools = send(1, "tools/list");
  const Json r = tools->json()["result"];
  EXPECT_EQ(r["resultType"], "complete");
  EXPECT_TRUE(r.contains("ttlMs"));
  EXPECT_TRUE(r.contains("cacheScope"));
  bool has_mrtr = false;
  for (const auto& t : r["tools"]) {
    has_mrtr = has_mrtr || t["name"] == "mrtr";
  }
  EXPECT_TRUE(has_mrtr);  // stateless-only tools are listed in this era
  auto read = send(2, "resources/read", {{"uri", "test://r"}}, Json::object(), "test://r");
  EXPECT_EQ(read->json()["result"]["cacheScope"], "private");
  auto call = send(
      3, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "y"}}}}, Json::object(), "echo");
  EXPECT_EQ(call->json()["result"]["resultType"], "complete");
  EXPECT_FALSE(call->json()["result"].contains("ttlMs"));
}

TEST_F(StatelessEndpointTest, UnknownResourceIsMinus32602WithUri) {
  auto ex = send(1, "resources/read", {{"uri", "test://none"}}, Json::object(), "test://none");
  EXPECT_EQ(ex->json()["error"]["code"], -32602);
  EXPECT_EQ(ex->json()["error"]["data"]["uri"], "test://none");
}

TEST_F(StatelessEndpointTest, UndeclaredCapabilityIs400Minus32021WithRequiredCapabilities) {
  auto ex = send(401,
                 "tools/call",
                 {{"name", "needs_sampling"}, {"arguments", {{"text", "a"}}}},
                 Json::object(),
                 "needs_sampling");
  EXPECT_EQ(ex->status(), 400u);
  EXPECT_EQ(ex->json()["error"]["code"], -32021);
  EXPECT_TRUE(ex->json()["error"]["data"]["requiredCapabilities"]["sampling"].is_object());
  auto ok = send(402,
                 "tools/call",
                 {{"name", "needs_sampling"}, {"arguments", {{"text", "a"}}}},
                 Json{{"sampling", Json::object()}},
                 "needs_sampling");
  EXPECT_EQ(ok->status(), 200u);
}

TEST_F(StatelessEndpointTest, MrtrRoundTripsSealedRequestStateAndRejectsTampering) {
  auto r1 = send(1, "tools/call", {{"name", "mrtr"}}, Json::object(), "mrtr");
  const Json first = r1->json()["result"];
  ASSERT_EQ(first["resultType"], "input_required");
  const std::string state = first["requestState"];
  EXPECT_NE(state, "round-1");  // sealed, not the tool's plain state
  Json responses{{"name", {{"action", "accept"}, {"content", {{"name", "Ann"}}}}}};
  auto r2 = send(2,
                 "tools/call",
                 {{"name", "mrtr"}, {"inputResponses", responses}, {"requestState", state}},
                 Json::object(),
                 "mrtr");
  EXPECT_EQ(r2->json()["result"]["content"][0]["text"], "hello Ann");
  auto tampered =
      send(3,
           "tools/call",
           {{"name", "mrtr"}, {"inputResponses", responses}, {"requestState", state + "-TAMPERED"}},
           Json::object(),
           "mrtr");
  EXPECT_EQ(tampered->json()["error"]["code"], -32602);
  auto bad_inputs = send(4,
                         "tools/call",
                         {{"name", "mrtr"}, {"inputResponses", {{"name", 12345}}}},
                         Json::object(),
                         "mrtr");
  EXPECT_EQ(bad_inputs->json()["error"]["code"], -32602);
}

TEST_F(StatelessEndpointTest, LogsAreSentOnlyWhenTheRequestSetsALogLevel) {
  auto quiet = send(1, "tools/call", {{"name", "chatty"}}, Json::object(), "chatty");
  for (const auto& m : quiet->streaming() ? quiet->messages() : std::vector<Json>{quiet->json()}) {
    EXPECT_NE(m.value("method", ""), "notifications/message");
  }
  Json params{{"name", "chatty"}, {"_meta", {{"io.modelcontextprotocol/logLevel", "info"}}}};
  auto loud = send(2, "tools/call", params, Json::object(), "chatty");
  ASSERT_TRUE(loud->streaming());
  auto events = loud->events();
  EXPECT_TRUE(events.front().id.empty());  // no resumability ids in this era
  auto msgs = loud->messages();
  ASSERT_EQ(msgs.size(), 2u);  // info log (debug filtered) and the result; no progress token
  EXPECT_EQ(msgs[0]["params"]["data"], "info line");
  EXPECT_EQ(msgs[1]["result"]["resultType"], "complete");
}

TEST_F(StatelessEndpointTest, ServerToClientRequestsAreRefusedInThisEra) {
  auto ex =
      send(1, "tools/call", {{"name", "sample"}}, Json{{"sampling", Json::object()}}, "sample");
  EXPECT_FALSE(ex->streaming());
  EXPECT_TRUE(ex->json()["result"]["isError"].get<bool>());
}

TEST_F(StatelessEndpointTest, GetAndDeleteAre405) {
  RequestSpec get;
  get.method = http::bhttp::verb::get;
  get.headers["MCP-Protocol-Version"] = "2026-07-28";
  EXPECT_EQ(h.call(get)->status(), 405u);
  get.method = http::bhttp::verb::delete_;
  EXPECT_EQ(h.call(get)->status(), 405u);
}

TEST_F(StatelessEndpointTest, ListenAcknowledgesFirstAndDeliversOnlyRequestedNotifications) {
  Json params{{"notifications", {{"toolsListChanged", true}}}};
  FakeExchange listen(
      h.ioc(),
      testing::make_request({http::bhttp::verb::post,
                             dump_json(modern_request(77, "subscriptions/listen", params)),
                             {{"Content-Type", "application/json"},
                              {"Accept", "application/json, text/event-stream"},
                              {"Host", "localhost:1"},
                              {"MCP-Protocol-Version", "2026-07-28"},
                              {"Mcp-Method", "subscriptions/listen"}}}));
  auto done = h.start(listen);
  ASSERT_TRUE(h.run_until([&] { return !listen.messages().empty(); }));
  const Json ack = listen.messages()[0];
  EXPECT_EQ(ack["method"], "notifications/subscriptions/acknowledged");
  EXPECT_EQ(ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 77);
  EXPECT_EQ(ack["params"]["notifications"], Json({{"toolsListChanged", true}}));
  h.registry().notify_changed(ChangeKind::kPromptsListChanged);  // not requested
  h.registry().notify_changed(ChangeKind::kToolsListChanged);
  ASSERT_TRUE(h.run_until([&] { return listen.messages().size() >= 2; }));
  const auto msgs = listen.messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1]["method"], "notifications/tools/list_changed");
  EXPECT_EQ(msgs[1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 77);
  listen.close_peer();
  EXPECT_TRUE(h.run_until([&] { return *done; }));
}

TEST_F(StatelessEndpointTest, InitializeStillSelectsTheSessionEra) {
  auto ex = h.post(
      Json{{"jsonrpc", "2.0"},
           {"id", 1},
           {"method", "initialize"},
           {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()}}}},
      {{"MCP-Protocol-Version", "2025-11-25"}});
  EXPECT_EQ(ex->status(), 200u);
  EXPECT_FALSE(ex->header("Mcp-Session-Id").empty());
}

}  // namespace
}  // namespace mcpgate::mcp
