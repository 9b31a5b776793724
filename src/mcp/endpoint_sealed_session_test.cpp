// Sealed, replica-portable session ids (EndpointOptions::session_sealer): two endpoints that
// share the key stand for two gateway processes behind a load balancer.

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "mcp/endpoint.hpp"
#include "mcp/test_exchange.hpp"
#include "mcp/endpoint_test_tools.hpp"

namespace mcpgate::mcp {
namespace {

using testing::Harness;
using testing::RequestSpec;

// "Authorization: Bearer <user>:<client>"; anything else is 401.
class UserClientPolicy final : public AccessPolicy {
 public:
  std::variant<Caller, http::Response> authenticate(const http::Request& req) const override {
    const std::string auth(http::header(req, "Authorization"));
    const auto colon = auth.find(':');
    if (auth.rfind("Bearer ", 0) != 0 || colon == std::string::npos) {
      http::Response res =
          http::make_response(http::StatusCode::unauthorized, "{}", "application/json");
      res.set(http::Field::www_authenticate, "Bearer realm=\"test\"");
      return res;
    }
    return Caller{auth.substr(7, colon - 7), auth.substr(colon + 1), {}, ""};
  }

  bool may_call(const Caller&, std::string_view) const override { return true; }

  http::Response forbid_tool(const Caller&, std::string_view) const override {
    return http::make_response(http::StatusCode::forbidden, "{}", "application/json");
  }
};

// Attaches {"opened": N} to the N-th session and remembers what ended.
class CountingHooks final : public SessionHooks {
 public:
  asio::awaitable<Json> opened(SessionOpening opening) override {
    ++opened_count;
    last_subject = opening.subject;
    co_return Json{{"opened", opened_count}};
  }

  asio::awaitable<void> ended(Json attachments) override {
    ended_with.push_back(std::move(attachments));
    co_return;
  }

  int opened_count = 0;
  std::string last_subject;
  std::vector<Json> ended_with;
};

asio::awaitable<Result<Json>> session_tool(Json, ToolContext& ctx) {
  co_return tool_result_text(ctx.session_attachments().dump() + "|" + ctx.session_id());
}

using testing::request;

std::shared_ptr<const SessionSealer> sealer(char key_fill, int generation = 1) {
  auto master = crypto::MasterKey::from_bytes(std::string(32, key_fill)).value();
  return std::make_shared<const SessionSealer>(
      SessionSealer::from_master_key(master, generation, std::chrono::hours(24)));
}

class SealedSessionTest : public ::testing::Test {
 protected:
  SealedSessionTest()
      : hooks(std::make_shared<CountingHooks>()),
        a(options(sealer('k'), hooks)),
        b(options(sealer('k'), hooks)) {
    for (Harness* h : {&a, &b}) {
      h->registry().add_tool({Json{{"name", "session"},
                                   {"description", "The session's attachments and id"},
                                   {"inputSchema", {{"type", "object"}}}},
                              session_tool});
    }
  }

  static EndpointOptions options(std::shared_ptr<const SessionSealer> s,
                                 std::shared_ptr<CountingHooks> hk) {
    EndpointOptions o;
    o.access = std::make_shared<UserClientPolicy>();
    o.session_sealer = std::move(s);
    o.session_hooks = std::move(hk);
    return o;
  }

  static std::string open_session(Harness& h, const std::string& cred) {
    auto init = h.post(request(0,
                               "initialize",
                               {{"protocolVersion", "2025-11-25"},
                                {"capabilities", {{"sampling", Json::object()}}},
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

  static std::unique_ptr<testing::FakeExchange> call_session_tool(Harness& h,
                                                                  const std::string& sid,
                                                                  const std::string& cred) {
    return h.post(request(7, "tools/call", {{"name", "session"}, {"arguments", Json::object()}}),
                  {{"Mcp-Session-Id", sid},
                   {"MCP-Protocol-Version", "2025-11-25"},
                   {"Authorization", "Bearer " + cred}});
  }

  std::shared_ptr<CountingHooks> hooks;
  Harness a;
  Harness b;
};

TEST_F(SealedSessionTest, AnotherProcessWithTheKeyResumesTheSession) {
  const std::string sid = open_session(a, "alice:assistant");
  EXPECT_EQ(hooks->opened_count, 1);
  EXPECT_EQ(hooks->last_subject, "alice\nassistant");
  EXPECT_EQ(b.endpoint().session_count(), 0u);

  auto ex = call_session_tool(b, sid, "alice:assistant");
  ASSERT_EQ(ex->status(), 200u);
  const auto messages = ex->messages();  // SSE, or a single JSON body
  const Json response = messages.empty() ? ex->json() : messages.back();
  const std::string text = response["result"]["content"][0]["text"];
  // The attachments made when the session opened on `a` travel inside the id.
  EXPECT_EQ(text, (Json{{"opened", 1}}).dump() + "|" + sid);
  EXPECT_EQ(b.endpoint().session_count(), 1u);
  EXPECT_EQ(hooks->opened_count, 1);  // resuming does not open anything again
}

TEST_F(SealedSessionTest, TheIdOfAnotherUserOrClientIsRefusedEverywhere) {
  const std::string sid = open_session(a, "alice:assistant");
  for (Harness* h : {&a, &b}) {
    EXPECT_EQ(call_session_tool(*h, sid, "bob:assistant")->status(), 404u);
    EXPECT_EQ(call_session_tool(*h, sid, "alice:other-agent")->status(), 404u);
  }
  EXPECT_EQ(b.endpoint().session_count(), 0u);
  // The owner is unaffected.
  EXPECT_EQ(call_session_tool(b, sid, "alice:assistant")->status(), 200u);
}

TEST_F(SealedSessionTest, AnAlteredOrForeignIdIsNotFound) {
  const std::string sid = open_session(a, "alice:assistant");
  std::string blob = crypto::base64url_decode(sid).value();
  blob[blob.size() / 2] = static_cast<char>(blob[blob.size() / 2] ^ 0x20);
  EXPECT_EQ(call_session_tool(b, crypto::base64url_encode(blob), "alice:assistant")->status(),
            404u);
  // Sealed under another key (another deployment).
  Harness other(options(sealer('z'), hooks));
  const std::string foreign = open_session(other, "alice:assistant");
  EXPECT_EQ(call_session_tool(b, foreign, "alice:assistant")->status(), 404u);
  EXPECT_EQ(call_session_tool(b, "x", "alice:assistant")->status(), 404u);
}

TEST_F(SealedSessionTest, DeleteEndsTheSessionHereAndTellsTheHooks) {
  const std::string sid = open_session(a, "alice:assistant");
  RequestSpec del;
  del.method = http::bhttp::verb::delete_;
  del.headers["Mcp-Session-Id"] = sid;
  del.headers["MCP-Protocol-Version"] = "2025-11-25";
  del.headers["Authorization"] = "Bearer alice:assistant";
  EXPECT_EQ(a.call(del)->status(), 200u);
  ASSERT_EQ(hooks->ended_with.size(), 1u);
  EXPECT_EQ(hooks->ended_with[0], (Json{{"opened", 1}}));
  // Not resumed from its sealed id by the process that ended it.
  EXPECT_EQ(call_session_tool(a, sid, "alice:assistant")->status(), 404u);
}

TEST_F(SealedSessionTest, TheNextKeyGenerationStillOpensIdsOfThePreviousOne) {
  const std::string sid = open_session(a, "alice:assistant");
  Harness rotated(options(sealer('k', 2), hooks));
  rotated.registry().add_tool({Json{{"name", "session"},
                                    {"description", "The session's attachments and id"},
                                    {"inputSchema", {{"type", "object"}}}},
                               session_tool});
  EXPECT_EQ(call_session_tool(rotated, sid, "alice:assistant")->status(), 200u);
  Harness twice_rotated(options(sealer('k', 3), hooks));
  EXPECT_EQ(call_session_tool(twice_rotated, sid, "alice:assistant")->status(), 404u);
}

}  // namespace
}  // namespace mcpgate::mcp
