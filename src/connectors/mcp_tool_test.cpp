#include "connectors/mcp_tool.hpp"

#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "connectors/connect_required.hpp"
#include "connectors/test_support.hpp"

namespace mcpgate::connectors {
namespace {

class FakeContext : public mcp::ToolContext {
 public:
  asio::awaitable<void> progress(double, std::optional<double>, std::string) override { co_return; }
  asio::awaitable<void> log(std::string, Json) override { co_return; }
  bool cancelled() const override { return false; }
  const std::string& subject() const override { return subject_; }

 private:
  std::string subject_ = "alice";
};

// Boost 1.74's use_future needs a default-constructible result: the value goes through an
// optional.
Result<Json> run(asio::awaitable<Result<Json>> aw) {
  asio::io_context ioc;
  std::optional<Result<Json>> out;
  auto fut = asio::co_spawn(
      ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(aw)); },
      asio::use_future);
  ioc.run();
  fut.get();
  return std::move(*out);
}

struct Recorder {
  std::optional<HttpRequest> sent;
  UpstreamReply reply{200, "application/json", R"({"number":7,"title":"t"})"};
  std::optional<Error> connection_error;
};

ConnectorRuntime runtime(Recorder& rec) {
  ConnectorRuntime r;
  r.connection = [&rec](const ToolDef&, mcp::ToolContext&) -> asio::awaitable<Result<ConnectionVars>> {
    if (rec.connection_error) {
      co_return *rec.connection_error;
    }
    co_return ConnectionVars{};
  };
  r.send = [&rec](const ToolDef&, HttpRequest req,
                  mcp::ToolContext&) -> asio::awaitable<Result<UpstreamReply>> {
    req.headers.emplace_back("Authorization", "Bearer injected-by-runtime");
    rec.sent = std::move(req);
    co_return rec.reply;
  };
  return r;
}

TEST(McpTool, BuildsSendsAndMaps) {
  const ConnectorDef c = testing::load_shipped("github.yaml");
  auto def = std::make_shared<const ToolDef>(testing::tool(c, "get_issue"));
  Recorder rec;
  const mcp::Tool t = make_mcp_tool(def, runtime(rec));
  EXPECT_EQ(t.descriptor["name"], "github_get_issue");
  EXPECT_EQ(t.server, "github");
  EXPECT_EQ(t.policy_name, "get_issue");
  FakeContext ctx;
  auto r = run(t.handler({{"owner", "o"}, {"repo", "r"}, {"issue_number", 7}}, ctx));
  ASSERT_TRUE(r);
  ASSERT_TRUE(rec.sent);
  EXPECT_EQ(rec.sent->url, "https://api.github.com/repos/o/r/issues/7");
  EXPECT_EQ((*r)["structuredContent"]["number"], 7);
}

TEST(McpTool, FailuresBecomeToolErrorsExceptTheConnection) {
  const ConnectorDef c = testing::load_shipped("github.yaml");
  auto def = std::make_shared<const ToolDef>(testing::tool(c, "get_issue"));
  Recorder rec;
  const mcp::Tool t = make_mcp_tool(def, runtime(rec));
  FakeContext ctx;
  auto bad = run(t.handler({{"owner", "o"}, {"repo", ".."}, {"issue_number", 7}}, ctx));
  ASSERT_TRUE(bad);
  EXPECT_TRUE((*bad)["isError"].get<bool>());
  EXPECT_FALSE(rec.sent);
  rec.reply = {500, "text/html", "<h1>boom</h1>"};
  auto upstream = run(t.handler({{"owner", "o"}, {"repo", "r"}, {"issue_number", 7}}, ctx));
  ASSERT_TRUE(upstream);
  EXPECT_EQ((*upstream)["content"][0]["text"],
            "github_get_issue: upstream returned HTTP 500 (Internal Server Error)");
  rec.sent.reset();
  // "Connect first" stays an Error with its URL elicitation (the endpoint decides between -32042
  // and a tool error); other connection failures are tool errors; nothing is sent either way.
  rec.connection_error =
      connect_required_error(connect_required("https://gate.example/", "github", "GitHub", false));
  auto none = run(t.handler({{"owner", "o"}, {"repo", "r"}, {"issue_number", 7}}, ctx));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kFailedPrecondition);
  const mcp::UrlElicitationRequired* required = mcp::url_elicitation_of(none.error());
  ASSERT_NE(required, nullptr);
  ASSERT_EQ(required->elicitations.size(), 1u);
  EXPECT_EQ(required->elicitations[0].url, "https://gate.example/connect/github");
  EXPECT_NE(none.error().message.find("https://gate.example/connect/github"), std::string::npos);
  rec.connection_error = make_error(ErrorCode::kUnavailable, "the vault could not be read");
  auto unreadable = run(t.handler({{"owner", "o"}, {"repo", "r"}, {"issue_number", 7}}, ctx));
  ASSERT_TRUE(unreadable);
  EXPECT_TRUE((*unreadable)["isError"].get<bool>());
  EXPECT_EQ((*unreadable)["content"][0]["text"], "github_get_issue: the vault could not be read");
  EXPECT_FALSE(rec.sent);
}

// The refresh token was refused between the connection check and the send: the send's "connect
// again" reaches the endpoint as an Error with the elicitation too.
TEST(McpTool, ReconnectFromSendStaysAnElicitation) {
  const ConnectorDef c = testing::load_shipped("github.yaml");
  auto def = std::make_shared<const ToolDef>(testing::tool(c, "get_issue"));
  ConnectorRuntime r;
  r.connection = [](const ToolDef&, mcp::ToolContext&) -> asio::awaitable<Result<ConnectionVars>> {
    co_return ConnectionVars{};
  };
  r.send = [](const ToolDef&, HttpRequest,
              mcp::ToolContext&) -> asio::awaitable<Result<UpstreamReply>> {
    co_return connect_required_error(
        connect_required("https://gate.example", "github", "GitHub", true));
  };
  const mcp::Tool t = make_mcp_tool(def, std::move(r));
  FakeContext ctx;
  auto out = run(t.handler({{"owner", "o"}, {"repo", "r"}, {"issue_number", 7}}, ctx));
  ASSERT_FALSE(out);
  ASSERT_NE(mcp::url_elicitation_of(out.error()), nullptr);
  EXPECT_NE(out.error().message.find("sign in again"), std::string::npos) << out.error().message;
}

}  // namespace
}  // namespace mcpgate::connectors
