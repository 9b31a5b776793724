// Tools with a raw handler (Tool::raw_handler, what the gateway registers): a result given as
// text reaches the client byte for byte inside the JSON-RPC response, gains only `resultType`
// in the stateless era, and is audited like a JSON one (outcome from its isError, its size).

#include <gtest/gtest.h>

#include <mutex>

#include "mcp/endpoint.hpp"
#include "mcp/endpoint_test_tools.hpp"
#include "mcp/test_exchange.hpp"

namespace mcpgate::mcp {
namespace {

using testing::Harness;

// Deliberately not in nlohmann's key order, with whitespace: proves it is not re-serialised.
constexpr const char* kRawResult =
    R"({"isError": true, "content":[{"type":"text","text":"spliced \u00e9"}]})";

class RecordingAudit final : public CallAudit {
 public:
  void record(const CallRecord& call) const override {
    std::lock_guard lock(mu);
    outcomes.emplace_back(call.outcome);
    sizes.push_back(call.result_bytes);
  }

  mutable std::mutex mu;
  mutable std::vector<std::string> outcomes;
  mutable std::vector<std::int64_t> sizes;
};

asio::awaitable<Result<ToolOutput>> raw_tool(Json args, ToolContext&) {
  ToolOutput out;
  if (args.value("as_json", false)) {
    out.result = tool_result_text("as json");
  } else {
    out.raw = kRawResult;
    out.raw_is_error = true;
  }
  co_return out;
}

asio::awaitable<Result<Json>> raw_tool_json_form(Json, ToolContext&) {
  co_return Json::parse(kRawResult);
}

class RawResultEndpointTest : public ::testing::Test {
 protected:
  RawResultEndpointTest() : audit(std::make_shared<RecordingAudit>()), h(options(audit)) {
    Tool tool;
    tool.descriptor = Json::parse(
        R"({"name":"raw","description":"Raw","inputSchema":{"type":"object","properties":{"as_json":{"type":"boolean"}}}})");
    tool.handler = raw_tool_json_form;
    tool.raw_handler = raw_tool;
    h.registry().add_tool(std::move(tool));
  }

  static EndpointOptions options(std::shared_ptr<RecordingAudit> a) {
    EndpointOptions o;
    o.audit = std::move(a);
    return o;
  }

  std::shared_ptr<RecordingAudit> audit;
  Harness h;
};

TEST_F(RawResultEndpointTest, SessionEraSplicesTheTextUnchanged) {
  const std::string sid = h.open_session();
  auto ex = h.post(testing::request(7, "tools/call", {{"name", "raw"}}),
                   {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
  ASSERT_EQ(ex->status(), 200u);
  EXPECT_EQ(ex->body(), std::string(R"({"id":7,"jsonrpc":"2.0","result":)") + kRawResult + "}");
  std::lock_guard lock(audit->mu);
  ASSERT_EQ(audit->outcomes.size(), 1u);
  EXPECT_EQ(audit->outcomes[0], "tool_error");
  EXPECT_EQ(audit->sizes[0], static_cast<std::int64_t>(std::string(kRawResult).size()));
}

TEST_F(RawResultEndpointTest, StatelessEraAddsResultTypeAndKeepsTheRest) {
  auto ex = h.post(testing::modern_request(8, "tools/call", {{"name", "raw"}}),
                   testing::modern_headers("tools/call", "raw"));
  ASSERT_EQ(ex->status(), 200u);
  const std::string raw = kRawResult;
  EXPECT_EQ(ex->body(), std::string(R"({"id":8,"jsonrpc":"2.0","result":{"resultType":"complete",)")
                            + raw.substr(1) + "}");
  const Json msg = ex->json();
  EXPECT_EQ(msg["result"]["resultType"], "complete");
  EXPECT_TRUE(msg["result"]["isError"].get<bool>());
  EXPECT_EQ(msg["result"]["content"][0]["text"], "spliced \xC3\xA9");
}

TEST_F(RawResultEndpointTest, AJsonOutputTakesTheUsualPath) {
  const std::string sid = h.open_session();
  auto ex = h.post(testing::request(9, "tools/call", {{"name", "raw"}, {"arguments", {{"as_json", true}}}}),
                   {{"Mcp-Session-Id", sid}, {"MCP-Protocol-Version", "2025-11-25"}});
  ASSERT_EQ(ex->status(), 200u);
  const Json msg = ex->json();
  EXPECT_EQ(msg["result"]["content"][0]["text"], "as json");
  std::lock_guard lock(audit->mu);
  ASSERT_EQ(audit->outcomes.size(), 1u);
  EXPECT_EQ(audit->outcomes[0], "ok");
  EXPECT_EQ(audit->sizes[0], static_cast<std::int64_t>(msg["result"].dump().size()));
}

}  // namespace
}  // namespace mcpgate::mcp
