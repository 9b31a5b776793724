// Session-era (2025-11-25) behaviour of the Streamable HTTP endpoint.

#include <gtest/gtest.h>

#include "mcp/endpoint.hpp"
#include "mcp/endpoint_test_tools.hpp"
#include "mcp/test_exchange.hpp"

namespace mcpgate::mcp {
namespace {

using testing::FakeExchange;
using testing::Harness;
using testing::RequestSpec;

using testing::request;

class SessionEndpointTest : public ::testing::Test {
 protected:
  SessionEndpointTest() { testing::register_test_tools(h.registry()); }

  std::unique_ptr<FakeExchange> in_session(const std::string& sid, const Json& body) {
    return h.post(body, {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
  }

  Harness h;
};

TEST_F(SessionEndpointTest, MalformedJsonIsParseError400WithNullId) {
  RequestSpec spec;
  spec.body = "{\"jsonrpc\":";
  auto ex = h.call(spec);
  EXPECT_EQ(ex->status(), 400u);
  EXPECT_EQ(ex->json()["error"]["code"], -32700);
  EXPECT_TRUE(ex->json()["id"].is_null());
}

TEST_F(SessionEndpointTest, DeeplyNestedBodyIsRejectedCleanly) {
  RequestSpec spec;
  spec.body = std::string(100000, '[') + std::string(100000, ']');
  auto ex = h.call(spec);
  EXPECT_EQ(ex->status(), 400u);
  EXPECT_EQ(ex->json()["error"]["code"], -32700);
}

TEST_F(SessionEndpointTest, InvalidUtf8IsParseError) {
  RequestSpec spec;
  spec.body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\xff\"}";
  auto ex = h.call(spec);
  EXPECT_EQ(ex->status(), 400u);
  EXPECT_EQ(ex->json()["error"]["code"], -32700);
}

TEST_F(SessionEndpointTest, WrongContentTypeIs415WithJsonRpcError) {
  RequestSpec spec;
  spec.body = dump_json(request(1, "ping"));
  spec.headers["Content-Type"] = "text/plain";
  auto ex = h.call(spec);
  EXPECT_EQ(ex->status(), 415u);
  EXPECT_EQ(ex->json()["jsonrpc"], "2.0");
  EXPECT_TRUE(ex->json().contains("error"));
}

TEST_F(SessionEndpointTest, UnacceptableAcceptIs406) {
  RequestSpec spec;
  spec.body = dump_json(request(1, "ping"));
  spec.headers["Accept"] = "text/html";
  EXPECT_EQ(h.call(spec)->status(), 406u);
}

TEST_F(SessionEndpointTest, BatchesAreRejected) {
  RequestSpec spec;
  spec.body = "[" + dump_json(request(1, "ping")) + "]";
  auto ex = h.call(spec);
  EXPECT_EQ(ex->status(), 400u);
  EXPECT_EQ(ex->json()["error"]["code"], -32600);
}

TEST_F(SessionEndpointTest, EnvelopeErrorsAreInvalidRequest) {
  auto no_version = h.post(Json{{"id", 1}, {"method", "ping"}});
  EXPECT_EQ(no_version->json()["error"]["code"], -32600);
  auto null_id = h.post(Json{{"jsonrpc", "2.0"}, {"id", nullptr}, {"method", "ping"}});
  EXPECT_EQ(null_id->json()["error"]["code"], -32600);
  auto bad_method = h.post(Json{{"jsonrpc", "2.0"}, {"id", 3}, {"method", 7}});
  EXPECT_EQ(bad_method->json()["error"]["code"], -32600);
  EXPECT_EQ(bad_method->json()["id"], 3);
}

TEST_F(SessionEndpointTest, InitializeIssuesVisibleAsciiSessionIdAndNegotiatesVersion) {
  auto ex = h.post(request(0,
                           "initialize",
                           {{"protocolVersion", "2025-06-18"},
                            {"capabilities", Json::object()},
                            {"clientInfo", {{"name", "c"}, {"version", "1"}}}}));
  ASSERT_EQ(ex->status(), 200u);
  const std::string sid = ex->header("Mcp-Session-Id");
  ASSERT_GE(sid.size(), 32u);
  for (char c : sid) {
    EXPECT_TRUE(c >= 0x21 && c <= 0x7E);
  }
  EXPECT_EQ(ex->json()["result"]["protocolVersion"], "2025-06-18");
  EXPECT_TRUE(ex->json()["result"]["capabilities"]["resources"]["subscribe"].get<bool>());
  auto unknown = h.post(request(0, "initialize", {{"protocolVersion", "1999-01-01"}}));
  EXPECT_EQ(unknown->json()["result"]["protocolVersion"], "2025-11-25");
  EXPECT_NE(unknown->header("Mcp-Session-Id"), sid);
}

TEST_F(SessionEndpointTest, MissingSessionIs400AndUnknownSessionIs404) {
  EXPECT_EQ(h.post(request(1, "tools/list"))->status(), 400u);
  auto ex = in_session("nope", request(1, "tools/list"));
  EXPECT_EQ(ex->status(), 404u);
}

TEST_F(SessionEndpointTest, UnsupportedProtocolVersionHeaderIs400) {
  const std::string sid = h.open_session();
  auto ex =
      h.post(request(1, "ping"), {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "1999-01-01"}});
  EXPECT_EQ(ex->status(), 400u);
  EXPECT_NE(ex->body().find("2025-11-25"), std::string::npos);  // names the supported versions
  auto older =
      h.post(request(2, "ping"), {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-03-26"}});
  EXPECT_EQ(older->status(), 200u);
}

TEST_F(SessionEndpointTest, NotificationsAndResponsesGet202) {
  const std::string sid = h.open_session();
  auto note =
      in_session(sid, Json{{"jsonrpc", "2.0"}, {"method", "notifications/roots/list_changed"}});
  EXPECT_EQ(note->status(), 202u);
  EXPECT_TRUE(note->body().empty());
  auto response = in_session(sid, Json{{"jsonrpc", "2.0"}, {"id", 99}, {"result", Json::object()}});
  EXPECT_EQ(response->status(), 202u);
}

TEST_F(SessionEndpointTest, PingAndSetLevelReturnEmptyObjects) {
  const std::string sid = h.open_session();
  EXPECT_EQ(in_session(sid, request(1, "ping"))->json()["result"], Json::object());
  EXPECT_EQ(in_session(sid, request(2, "logging/setLevel", {{"level", "info"}}))->json()["result"],
            Json::object());
  EXPECT_EQ(
      in_session(sid, request(3, "logging/setLevel", {{"level", "loud"}}))->json()["error"]["code"],
      -32602);
}

TEST_F(SessionEndpointTest, DeleteEndsSessionThenRequestsGet404) {
  const std::string sid = h.open_session();
  RequestSpec del;
  del.method = http::bhttp::verb::delete_;
  del.headers["Mcp-Session-Id"] = sid;
  EXPECT_EQ(h.call(del)->status(), 200u);
  EXPECT_EQ(in_session(sid, request(1, "ping"))->status(), 404u);
  EXPECT_EQ(h.call(del)->status(), 404u);
}

TEST_F(SessionEndpointTest, ToolsListAndPlainCallAnswerAsJson) {
  const std::string sid = h.open_session();
  auto list = in_session(sid, request(1, "tools/list"));
  std::vector<std::string> names;
  const Json listed = list->json();
  for (const auto& t : listed["result"]["tools"]) {
    names.push_back(t["name"]);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"echo", "chatty", "sample", "reconnect", "needs_sampling"}));
  auto call = in_session(
      sid, request(2, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}}));
  EXPECT_EQ(call->header("Content-Type"), "application/json");
  EXPECT_EQ(call->json()["result"]["content"][0]["text"], "echo:hi");
  EXPECT_FALSE(call->json()["result"].contains("resultType"));
}

TEST_F(SessionEndpointTest, UnknownToolAndBadArgumentsAreInvalidParams) {
  const std::string sid = h.open_session();
  auto unknown = in_session(sid, request(1, "tools/call", {{"name", "nope"}}));
  EXPECT_EQ(unknown->json()["error"]["code"], -32602);
  EXPECT_EQ(unknown->json()["error"]["message"], "Unknown tool: nope");
  auto missing =
      in_session(sid, request(2, "tools/call", {{"name", "echo"}, {"arguments", Json::object()}}));
  EXPECT_EQ(missing->json()["error"]["code"], -32602);
  EXPECT_EQ(missing->json()["error"]["message"],
            "Invalid arguments for tool echo: (root): missing required property 'text'");
  auto too_long = in_session(
      sid, request(3, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "0123456789x"}}}}));
  EXPECT_EQ(too_long->json()["error"]["code"], -32602);
  EXPECT_EQ(in_session(sid, request(4, "no/such"))->json()["error"]["code"], -32601);
}

TEST_F(SessionEndpointTest, NotificationsTurnTheResponseIntoSseWithPrimingAndIds) {
  const std::string sid = h.open_session();
  in_session(sid, request(1, "logging/setLevel", {{"level", "info"}}));
  auto ex = in_session(
      sid, request(2, "tools/call", {{"name", "chatty"}, {"_meta", {{"progressToken", "p1"}}}}));
  ASSERT_TRUE(ex->streaming());
  EXPECT_EQ(ex->header("Content-Type"), "text/event-stream");
  EXPECT_TRUE(ex->finished());
  auto events = ex->events();
  ASSERT_EQ(events.size(), 4u);  // priming, info log (debug filtered), progress, result
  EXPECT_TRUE(events[0].data.empty());
  EXPECT_TRUE(events[0].retry.has_value());
  EXPECT_FALSE(events[0].id.empty());
  auto msgs = ex->messages();
  EXPECT_EQ(msgs[0]["method"], "notifications/message");
  EXPECT_EQ(msgs[0]["params"]["data"], "info line");
  EXPECT_EQ(msgs[1]["params"]["progressToken"], "p1");
  EXPECT_EQ(msgs[2]["result"]["content"][0]["text"], "done");
  EXPECT_NE(events[1].id, events[2].id);
}

TEST_F(SessionEndpointTest, ClosedStreamIsResumedWithLastEventIdOnGet) {
  const std::string sid = h.open_session();
  auto post = in_session(sid, request(7, "tools/call", {{"name", "reconnect"}}));
  ASSERT_TRUE(post->streaming());
  ASSERT_TRUE(post->finished());
  ASSERT_TRUE(post->messages().empty());  // closed before the result
  const std::string last_id = post->events().back().id;

  RequestSpec get;
  get.method = http::bhttp::verb::get;
  get.headers["Accept"] = "text/event-stream";
  get.headers["Mcp-Session-Id"] = sid;
  get.headers["Last-Event-ID"] = last_id;
  auto resumed = h.call(get);
  ASSERT_TRUE(resumed->streaming());
  auto msgs = resumed->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["id"], 7);
  EXPECT_EQ(msgs[0]["result"]["content"][0]["text"], "after reconnect");
  EXPECT_TRUE(resumed->finished());
}

TEST_F(SessionEndpointTest, SamplingRequestTravelsOnTheStreamAndTheResponseIsRoutedBack) {
  const std::string sid = h.open_session(Json{{"sampling", Json::object()}});
  auto call = std::make_unique<FakeExchange>(
      h.ioc(),
      testing::make_request({http::bhttp::verb::post,
                             dump_json(request(5, "tools/call", {{"name", "sample"}})),
                             {{"Content-Type", "application/json"},
                              {"Accept", "application/json, text/event-stream"},
                              {"Host", "localhost:1"},
                              {"Mcp-Session-Id", sid}}}));
  auto done = h.start(*call);
  ASSERT_TRUE(h.run_until([&] { return !call->messages().empty(); }));
  const Json server_request = call->messages().front();
  EXPECT_EQ(server_request["method"], "sampling/createMessage");
  auto reply = in_session(
      sid,
      Json{{"jsonrpc", "2.0"},
           {"id", server_request["id"]},
           {"result", {{"role", "assistant"}, {"content", {{"type", "text"}, {"text", "42"}}}}}});
  EXPECT_EQ(reply->status(), 202u);
  ASSERT_TRUE(h.run_until([&] { return *done; }));
  EXPECT_EQ(call->messages().back()["result"]["content"][0]["text"], "model said 42");
}

TEST_F(SessionEndpointTest, SamplingWithoutClientCapabilityFailsInsideTheTool) {
  const std::string sid = h.open_session();
  auto ex = in_session(sid, request(1, "tools/call", {{"name", "sample"}}));
  EXPECT_TRUE(ex->json()["result"]["isError"].get<bool>());
}

// MCP 2025-11-25 URLElicitationRequiredError for a client that declared elicitation.url.
TEST_F(SessionEndpointTest, UrlElicitationIsMinus32042ForClientsThatDeclaredUrlMode) {
  testing::register_connect_first_tool(h.registry());
  const std::string sid =
      h.open_session(Json{{"elicitation", {{"form", Json::object()}, {"url", Json::object()}}}});
  auto ex = in_session(sid, request(4, "tools/call", {{"name", "connect_first"}}));
  ASSERT_EQ(ex->status(), 200u);
  const Json msg = ex->json();
  EXPECT_EQ(msg["id"], 4);
  EXPECT_FALSE(msg.contains("result"));
  EXPECT_EQ(msg["error"]["code"], -32042);
  EXPECT_EQ(msg["error"]["message"],
            "Connect your account: open https://gate.example/connect/fake");
  const Json expected = Json::parse(R"({"elicitations":[{"mode":"url","elicitationId":"el-1",
      "url":"https://gate.example/connect/fake","message":"Connect your account"}]})");
  EXPECT_EQ(msg["error"]["data"], expected);
}

// Without the url mode (no elicitation, or form only: `{}` means form) the client gets a tool
// error naming the link, never -32042.
TEST_F(SessionEndpointTest, UrlElicitationIsAToolErrorForOtherClients) {
  testing::register_connect_first_tool(h.registry());
  for (const Json& caps : {Json::object(), Json{{"elicitation", Json::object()}},
                           Json{{"elicitation", {{"form", Json::object()}}}},
                           Json{{"elicitation", {{"url", true}}}}}) {
    const std::string sid = h.open_session(caps);
    auto ex = in_session(sid, request(5, "tools/call", {{"name", "connect_first"}}));
    ASSERT_EQ(ex->status(), 200u);
    const Json msg = ex->json();
    EXPECT_FALSE(msg.contains("error")) << caps.dump();
    EXPECT_TRUE(msg["result"]["isError"].get<bool>()) << caps.dump();
    EXPECT_EQ(msg["result"]["content"][0]["text"],
              "Connect your account: open https://gate.example/connect/fake");
  }
}

TEST_F(SessionEndpointTest, ListChangedReachesTheStandaloneGetStream) {
  const std::string sid = h.open_session();
  RequestSpec get;
  get.method = http::bhttp::verb::get;
  get.headers["Accept"] = "text/event-stream";
  get.headers["Mcp-Session-Id"] = sid;
  FakeExchange stream(h.ioc(), testing::make_request(get));
  auto done = h.start(stream);
  ASSERT_TRUE(h.run_until([&] { return stream.streaming(); }));
  auto second = h.call(get);
  EXPECT_EQ(second->status(), 409u);  // one standalone stream per session
  h.registry().remove_tool("echo");
  ASSERT_TRUE(h.run_until([&] { return !stream.messages().empty(); }));
  EXPECT_EQ(stream.messages()[0]["method"], "notifications/tools/list_changed");
  stream.close_peer();
  EXPECT_TRUE(h.run_until([&] { return *done; }));
}

TEST_F(SessionEndpointTest, ResourceUpdatesGoOnlyToSubscribers) {
  const std::string sid = h.open_session();
  RequestSpec get;
  get.method = http::bhttp::verb::get;
  get.headers["Accept"] = "text/event-stream";
  get.headers["Mcp-Session-Id"] = sid;
  FakeExchange stream(h.ioc(), testing::make_request(get));
  auto done = h.start(stream);
  ASSERT_TRUE(h.run_until([&] { return stream.streaming(); }));
  h.registry().notify_resource_updated("test://r");
  in_session(sid, request(1, "resources/subscribe", {{"uri", "test://r"}}));
  h.registry().notify_resource_updated("test://r");
  ASSERT_TRUE(h.run_until([&] { return !stream.messages().empty(); }));
  auto msgs = stream.messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["method"], "notifications/resources/updated");
  EXPECT_EQ(msgs[0]["params"]["uri"], "test://r");
  stream.close_peer();
  EXPECT_TRUE(h.run_until([&] { return *done; }));
}

TEST_F(SessionEndpointTest, ResourceNotFoundIsMinus32002WithUri) {
  const std::string sid = h.open_session();
  auto ex = in_session(sid, request(1, "resources/read", {{"uri", "test://missing"}}));
  EXPECT_EQ(ex->json()["error"]["code"], -32002);
  EXPECT_EQ(ex->json()["error"]["data"]["uri"], "test://missing");
}

TEST_F(SessionEndpointTest, ForeignOriginIs403AndLoopbackHostIsEnforced) {
  auto origin = h.post(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}),
                       {{"Origin", "http://evil.example.com"}});
  EXPECT_EQ(origin->status(), 403u);
  auto host = h.post(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}),
                     {{"Host", "evil.example.com"}});
  EXPECT_EQ(host->status(), 403u);
  auto same = h.post(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}),
                     {{"Host", "localhost:3000"}, {"Origin", "http://localhost:3000"}});
  EXPECT_EQ(same->status(), 200u);
  auto other_port = h.post(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}),
                           {{"Host", "localhost:3000"}, {"Origin", "http://localhost:5173"}});
  EXPECT_EQ(other_port->status(), 403u);
}

TEST_F(SessionEndpointTest, ConfiguredOriginIsAllowed) {
  EndpointOptions opts;
  opts.allowed_origins = {"https://app.example.com"};
  Harness custom(opts);
  auto ex = custom.post(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}),
                        {{"Origin", "https://APP.example.com"}});
  EXPECT_EQ(ex->status(), 200u);
}

TEST_F(SessionEndpointTest, SessionCapIsEnforced) {
  EndpointOptions opts;
  opts.max_sessions = 1;
  Harness capped(opts);
  capped.open_session();
  auto second = capped.post(request(0, "initialize", {{"protocolVersion", "2025-11-25"}}));
  EXPECT_EQ(second->status(), 503u);
  EXPECT_EQ(capped.endpoint().session_count(), 1u);
}

TEST_F(SessionEndpointTest, CancelledRequestGetsNoResponse) {
  const std::string sid = h.open_session(Json{{"sampling", Json::object()}});
  FakeExchange call(
      h.ioc(),
      testing::make_request({http::bhttp::verb::post,
                             dump_json(request(9, "tools/call", {{"name", "sample"}})),
                             {{"Content-Type", "application/json"},
                              {"Accept", "application/json, text/event-stream"},
                              {"Host", "localhost:1"},
                              {"Mcp-Session-Id", sid}}}));
  auto done = h.start(call);
  ASSERT_TRUE(h.run_until([&] { return !call.messages().empty(); }));
  in_session(sid,
             Json{{"jsonrpc", "2.0"},
                  {"method", "notifications/cancelled"},
                  {"params", {{"requestId", 9}, {"reason", "user"}}}});
  ASSERT_TRUE(h.run_until([&] { return *done; }));
  for (const auto& m : call.messages()) {
    EXPECT_FALSE(m.contains("result"));
  }
}

}  // namespace
}  // namespace mcpgate::mcp
