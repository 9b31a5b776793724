// The admin MCP server (admin_mcp.hpp) through the real MCP endpoint (src/mcp, in-memory
// exchanges): tools generated from the operation table, listing by permission, refusals as tool
// results that are recorded, and the approval of destructive calls (elicitation; approval
// links for clients that cannot elicit). The runner is the real one; the authorizer, the
// handlers and the approval book are stand-ins that record what they were asked.
#include "admin/admin_mcp.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>

#include "admin/test_support.hpp"
#include "mcp/test_exchange.hpp"

namespace mcpgate::admin {
namespace {

using mcp::testing::FakeExchange;
using mcp::testing::Harness;

// helen is helpdesk: read users and grants, revoke grants. alice holds everything.
class AmcpRoles final : public AdminAuthorizer {
 public:
  AdminDecision check(const mcp::Caller& caller, std::string_view permission) const override {
    static const std::set<std::string, std::less<>> kHelpdesk = {
        "can_read_users", "can_read_grants", "can_revoke_grants", "can_read_clients"};
    if (caller.subject == "alice" || (caller.subject == "helen" && kHelpdesk.count(permission))) {
      return {true, ""};
    }
    return {false, "user:" + caller.subject + " lacks " + std::string(permission)};
  }
};

// An approval book in memory: approvals are given by the test.
class AmcpBook final : public ApprovalBook {
 public:
  Result<bool> take(const mcp::Caller&, std::string_view binding) const override {
    std::lock_guard lock(mu_);
    return approved.erase(std::string(binding)) == 1;
  }
  Result<std::string> request(const mcp::Caller&, const Operation&, const Json&,
                              std::string_view binding) const override {
    std::lock_guard lock(mu_);
    requested.push_back(std::string(binding));
    return "ap-" + std::to_string(requested.size());
  }
  std::string link(std::string_view id) const override {
    return "https://gate.example/admin/approvals/" + std::string(id);
  }
  mutable std::mutex mu_;
  mutable std::set<std::string> approved;
  mutable std::vector<std::string> requested;
};

class AdminMcpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto handlers = std::make_shared<OperationHandlers>();
    for (const auto& op : operations()) {
      const std::string id(op.operation_id);
      handlers->add(id, [this, id](const AdminCall& c) -> Result<Json> {
        std::lock_guard lock(mu_);
        ran_.push_back(id + " " + c.args.dump());
        return Json{{"done", id}};
      });
    }
    RunnerOptions rules;
    runner_ = std::make_shared<OperationRunner>(scopes_, std::make_shared<AmcpRoles>(), handlers,
                                                rules);
    runner_->set_observer([this](const mcp::Caller& c, const CallRecord& r) {
      std::lock_guard lock(mu_);
      records_.push_back(c.subject + " " + r.channel + " " + r.operation + " " + r.target + " " +
                         r.decision + " " + std::to_string(r.status) + " " + r.reason);
    });
    book_ = std::make_shared<AmcpBook>();
    auto tools = std::make_shared<AdminTools>();
    tools->runner = runner_;
    tools->executor = &executor_;
    tools->approvals = book_;
    h_ = std::make_unique<Harness>(
        admin_mcp_endpoint_options(std::make_shared<testing::HeaderAccess>("agent"), runner_, {}),
        admin_tool_registry(tools));
  }

  static oauth::AuthOptions scope_options() {
    oauth::AuthOptions o;
    o.scopes.push_back(oauth::ScopeOptions{"admin:read", {}});
    o.scopes.push_back(oauth::ScopeOptions{"admin:write", {}});
    o.scope_implies["admin:write"] = {"admin:read"};
    return o;
  }

  std::map<std::string, std::string> as(const std::string& who, const std::string& sid = "") {
    std::map<std::string, std::string> h{{"Authorization", "Bearer " + who}};
    if (!sid.empty()) {
      h["Mcp-Session-Id"] = sid;
      h["MCP-Protocol-Version"] = "2025-11-25";
    }
    return h;
  }

  std::string open(const std::string& who, Json capabilities = Json::object()) {
    auto init = h_->post(Json{{"jsonrpc", "2.0"},
                              {"id", 0},
                              {"method", "initialize"},
                              {"params",
                               {{"protocolVersion", "2025-11-25"},
                                {"capabilities", capabilities},
                                {"clientInfo", {{"name", "t"}, {"version", "1"}}}}}},
                         as(who));
    const std::string sid = init->header("Mcp-Session-Id");
    h_->post(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, as(who, sid));
    return sid;
  }

  Json rpc(const std::string& who, const std::string& sid, const std::string& method,
           Json params) {
    auto ex = h_->post(Json{{"jsonrpc", "2.0"}, {"id", 9}, {"method", method}, {"params", params}},
                       as(who, sid));
    // A plain JSON answer, or the last message of an SSE stream.
    const auto msgs = ex->messages();
    if (!msgs.empty()) {
      return msgs.back();
    }
    EXPECT_EQ(ex->status(), 200u) << ex->body();
    return ex->json();
  }

  Json call(const std::string& who, const std::string& sid, const std::string& tool, Json args) {
    return rpc(who, sid, "tools/call", Json{{"name", tool}, {"arguments", args}})["result"];
  }

  std::vector<std::string> ran() {
    std::lock_guard lock(mu_);
    return ran_;
  }
  std::vector<std::string> records() {
    std::lock_guard lock(mu_);
    return records_;
  }

  std::mutex mu_;
  std::vector<std::string> ran_;
  std::vector<std::string> records_;
  const oauth::ScopeSet scopes_{scope_options()};
  // Declared before the executor so it is destroyed after it: the executor's thread may still
  // be handing a finished call back to the harness's io_context (ASan: use after free).
  std::unique_ptr<Harness> h_;
  store::Executor executor_{1};
  std::shared_ptr<OperationRunner> runner_;
  std::shared_ptr<AmcpBook> book_;
};

std::string text_of(const Json& result) {
  return result["content"][0].value("text", "");
}

TEST(AdminMcpTools, EveryOperationIsOneToolWithItsSchemaAndHonestAnnotations) {
  static const oauth::ScopeSet kNoScopes{oauth::AuthOptions{}};
  const auto registry = admin_tool_registry(std::make_shared<AdminTools>(AdminTools{
      std::make_shared<OperationRunner>(kNoScopes,
                                        std::make_shared<AmcpRoles>(),
                                        std::make_shared<OperationHandlers>(), RunnerOptions{}),
      nullptr, nullptr}));
  const auto tools = registry->tools();
  ASSERT_EQ(tools.size(), operations().size());
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const Operation& op = operations()[i];
    const Json& d = tools[i].descriptor;
    SCOPED_TRACE(std::string(op.operation_id));
    EXPECT_EQ(d["name"], snake_case(op.operation_id));
    EXPECT_EQ(tools[i].policy_name, op.operation_id);
    EXPECT_EQ(d["inputSchema"], arguments_schema(op, RunnerOptions{}.pages.max_page_size));
    EXPECT_NE(d["description"].get<std::string>().find(std::string(op.permission)),
              std::string::npos);
    const Json& a = d["annotations"];
    EXPECT_EQ(a["readOnlyHint"], op.method == http::bhttp::verb::get);
    EXPECT_EQ(a["destructiveHint"], op.destructive);
    EXPECT_EQ(a["openWorldHint"], false);
    const bool idempotent = op.method == http::bhttp::verb::get ||
                            op.method == http::bhttp::verb::put ||
                            op.method == http::bhttp::verb::delete_;
    EXPECT_EQ(a.contains("idempotentHint"), idempotent);
    if (op.destructive) {
      EXPECT_NE(d["description"].get<std::string>().find("human approves"), std::string::npos);
    }
  }
}

TEST_F(AdminMcpTest, ToolsListShowsOnlyWhatTheCallerMayCall) {
  const auto names = [&](const std::string& who) {
    const std::string sid = open(who);
    std::set<std::string> out;
    const Json listed = rpc(who, sid, "tools/list", Json::object());
    for (const auto& t : listed["result"]["tools"]) {
      out.insert(t["name"].get<std::string>());
    }
    return out;
  };
  const auto helen = names("helen|default|admin:write");
  EXPECT_TRUE(helen.count("list_user_grants"));
  EXPECT_TRUE(helen.count("revoke_user_grant"));
  EXPECT_FALSE(helen.count("deactivate_user"));
  const auto reader = names("helen|default|admin:read");
  EXPECT_TRUE(reader.count("list_user_grants"));
  EXPECT_FALSE(reader.count("revoke_user_grant")) << "admin:read cannot revoke";
  const auto tenant = names("alice|acme|admin:write");
  EXPECT_TRUE(tenant.count("deactivate_user"));
  EXPECT_FALSE(tenant.count("list_clients")) << "gate-wide: operator organization only";
  EXPECT_TRUE(names("mallory|default|admin:write").empty());
}

TEST_F(AdminMcpTest, ARefusedCallIsAToolErrorNamingThePermissionAndIsRecorded) {
  const std::string who = "helen|default|admin:write";
  const std::string sid = open(who, Json{{"elicitation", Json::object()}});
  const Json r = call(who, sid, "deactivate_user", Json{{"user_id", "bob"}, {"reason", "secret"}});
  EXPECT_EQ(r["isError"], true);
  EXPECT_EQ(text_of(r),
            "deactivate_user was refused: deactivateUser needs can_manage_users on "
            "organization:default");
  EXPECT_TRUE(ran().empty());
  ASSERT_EQ(records().size(), 1u);
  EXPECT_EQ(records()[0], "helen mcp deactivateUser  deny 403 user:helen lacks can_manage_users")
      << "refused before the arguments were read: no target, no reason text";
  // A read the caller may make runs, with the result as structured content.
  const Json ok = call(who, sid, "list_user_grants", Json{{"user_id", "bob"}});
  EXPECT_FALSE(ok.contains("isError"));
  EXPECT_EQ(ok["structuredContent"]["done"], "listUserGrants");
  EXPECT_EQ(records().back(), "helen mcp listUserGrants bob allow 200 ");
}

TEST_F(AdminMcpTest, HostileArgumentsAreRefusedBeforeAnythingRuns) {
  const std::string who = "alice|default|admin:write";
  const std::string sid = open(who);
  // Schema violations (unknown member, wrong type, bad id) are invalid params.
  for (const Json& args : {Json{{"user_id", "bob"}, {"extra", 1}}, Json{{"user_id", 7}},
                           Json{{"user_id", std::string(5000, 'a')}}, Json::object()}) {
    const Json m = rpc(who, sid, "tools/call", Json{{"name", "get_user"}, {"arguments", args}});
    EXPECT_TRUE(m.contains("error") || m["result"]["isError"] == true) << m.dump();
  }
  // The table's own id rule (the schema's pattern is not enforced by the endpoint).
  const Json r = call(who, sid, "get_user", Json{{"user_id", "../x"}});
  EXPECT_EQ(r["isError"], true);
  EXPECT_NE(text_of(r).find("invalid arguments"), std::string::npos);
  EXPECT_TRUE(ran().empty());
}

TEST_F(AdminMcpTest, ADestructiveCallRunsOnlyAfterTheHumanAcceptsThoseArguments) {
  const std::string who = "helen|default|admin:write";
  const std::string sid = open(who, Json{{"elicitation", {{"form", Json::object()}}}});
  const Json args = {{"user_id", "alice"}, {"grant_id", "g-1"}};
  const auto attempt = [&](const Json& answer) {
    auto ex = std::make_unique<FakeExchange>(
        h_->ioc(), mcp::testing::make_request(
                       {http::bhttp::verb::post,
                        mcp::dump_json(Json{{"jsonrpc", "2.0"},
                                            {"id", 5},
                                            {"method", "tools/call"},
                                            {"params", {{"name", "revoke_user_grant"},
                                                        {"arguments", args}}}}),
                        {{"Content-Type", "application/json"},
                         {"Accept", "application/json, text/event-stream"},
                         {"Host", "127.0.0.1:3000"},
                         {"Authorization", "Bearer " + who},
                         {"Mcp-Session-Id", sid},
                         {"MCP-Protocol-Version", "2025-11-25"}}}));
    auto done = h_->start(*ex);
    EXPECT_TRUE(h_->run_until([&] { return !ex->messages().empty(); }));
    const Json asked = ex->messages().front();
    EXPECT_EQ(asked["method"], "elicitation/create");
    EXPECT_EQ(asked["params"]["mode"], "form");
    const std::string message = asked["params"]["message"];
    EXPECT_NE(message.find(R"({"grant_id":"g-1","user_id":"alice"})"), std::string::npos) << message;
    EXPECT_EQ(asked["params"]["requestedSchema"]["required"], Json::array({"confirm"}));
    h_->post(Json{{"jsonrpc", "2.0"}, {"id", asked["id"]}, {"result", answer}}, as(who, sid));
    EXPECT_TRUE(h_->run_until([&] { return *done; }));
    return ex->messages().back()["result"];
  };
  const Json declined = attempt(Json{{"action", "decline"}});
  EXPECT_EQ(text_of(declined), "revoke_user_grant was not run: the approval was declined");
  const Json unconfirmed = attempt(Json{{"action", "accept"}, {"content", {{"confirm", false}}}});
  EXPECT_EQ(unconfirmed["isError"], true);
  EXPECT_TRUE(ran().empty());
  EXPECT_EQ(records().back(),
            "helen mcp revokeUserGrant alice/g-1 deny 403 the approval was accepted without "
            "confirm = true");
  const Json accepted = attempt(Json{{"action", "accept"}, {"content", {{"confirm", true}}}});
  EXPECT_FALSE(accepted.contains("isError")) << accepted.dump();
  ASSERT_EQ(ran().size(), 1u);
  EXPECT_EQ(ran()[0], R"(revokeUserGrant {"grant_id":"g-1","user_id":"alice"})");
  EXPECT_TRUE(book_->requested.empty()) << "an eliciting client needs no approval link";
}

TEST_F(AdminMcpTest, AClientThatCannotElicitGetsALinkAndOnlyTheApprovedCallRuns) {
  const std::string who = "helen|default|admin:write";
  const std::string sid = open(who);
  const Json args = {{"user_id", "alice"}, {"grant_id", "g-1"}};
  const Json first = call(who, sid, "revoke_user_grant", args);
  EXPECT_EQ(first["isError"], true);
  EXPECT_NE(text_of(first).find("Open https://gate.example/admin/approvals/ap-1 signed in"),
            std::string::npos)
      << text_of(first);
  ASSERT_EQ(book_->requested.size(), 1u);
  EXPECT_TRUE(ran().empty());
  mcp::Caller helen;
  helen.subject = "helen";
  helen.org_id = "default";
  helen.client_id = "agent";
  EXPECT_EQ(book_->requested[0],
            approval_binding(helen, *find_operation("revokeUserGrant"), args));
  book_->approved.insert(book_->requested[0]);
  // Other arguments: not approved.
  const Json other = call(who, sid, "revoke_user_grant", Json{{"user_id", "alice"}, {"grant_id", "g-2"}});
  EXPECT_EQ(other["isError"], true);
  EXPECT_TRUE(ran().empty());
  // The approved call runs, once.
  EXPECT_FALSE(call(who, sid, "revoke_user_grant", args).contains("isError"));
  EXPECT_EQ(ran().size(), 1u);
  EXPECT_EQ(call(who, sid, "revoke_user_grant", args)["isError"], true);
  EXPECT_EQ(ran().size(), 1u);
}

TEST(AdminMcpApproval, TheBindingCoversCallerOperationAndExactArguments) {
  mcp::Caller c;
  c.subject = "helen";
  c.org_id = "default";
  c.client_id = "agent";
  const Operation& revoke = *find_operation("revokeUserGrant");
  const Json a = Json::parse(R"({"user_id":"alice","grant_id":"g-1"})");
  const Json same = Json::parse(R"({"grant_id":"g-1","user_id":"alice"})");
  const std::string b = approval_binding(c, revoke, a);
  EXPECT_EQ(b.size(), 64u);
  EXPECT_EQ(approval_binding(c, revoke, same), b) << "member order does not matter";
  EXPECT_NE(approval_binding(c, revoke, Json::parse(R"({"user_id":"alice","grant_id":"g-2"})")), b);
  EXPECT_NE(approval_binding(c, *find_operation("deactivateUser"), a), b);
  mcp::Caller other_client = c;
  other_client.client_id = "agent2";
  EXPECT_NE(approval_binding(other_client, revoke, a), b);
  mcp::Caller other_user = c;
  other_user.subject = "helen2";
  EXPECT_NE(approval_binding(other_user, revoke, a), b);
}

TEST(AdminMcpApproval, OnlyAcceptWithConfirmTrueApproves) {
  const auto verdict = [](const Json& j) { return read_approval_answer(Result<Json>(j)); };
  EXPECT_TRUE(verdict(Json{{"action", "accept"}, {"content", {{"confirm", true}}}}).accepted);
  for (const Json& j : {Json{{"action", "accept"}}, Json{{"action", "accept"}, {"content", {{"confirm", "true"}}}},
                        Json{{"action", "accept"}, {"content", {{"confirm", 1}}}},
                        Json{{"action", "decline"}}, Json{{"action", "cancel"}},
                        Json{{"action", "ACCEPT"}}, Json::array(), Json("accept")}) {
    EXPECT_FALSE(verdict(j).accepted) << j.dump();
    EXPECT_FALSE(verdict(j).why.empty());
  }
  EXPECT_FALSE(read_approval_answer(Result<Json>(make_error(ErrorCode::kDeadlineExceeded, "late")))
                   .accepted);
}

TEST(AdminMcpResult, ErrorsBecomeToolErrorsWithoutLeakingInternals) {
  const Operation& op = *find_operation("getUser");
  EXPECT_EQ(admin_tool_result(op, Result<Json>(make_error(ErrorCode::kNotFound, "no such user")))["content"][0]["text"],
            "get_user: not found: no such user");
  const Json internal = admin_tool_result(op, Result<Json>(make_error(ErrorCode::kInternal, "db path /x")));
  EXPECT_EQ(internal["isError"], true);
  EXPECT_EQ(internal["content"][0]["text"], "get_user failed: internal error");
  const Json ok = admin_tool_result(op, Result<Json>(Json{{"id", "bob"}}));
  EXPECT_EQ(ok["structuredContent"]["id"], "bob");
  EXPECT_EQ(Json::parse(ok["content"][0]["text"].get<std::string>())["id"], "bob");
}

}  // namespace
}  // namespace mcpgate::admin
