// EngineToolAuthorizer with the real engine and the demo policy (examples/demo-policy.fga): the
// two checks per call, the condition on arguments, tools/list visibility, fail-closed paths.

#include "policy/tool_authorizer.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "authz/dsl.hpp"
#include "core/log.hpp"
#include "mcp/tool.hpp"

namespace mcpgate::policy {
namespace {

using Json = nlohmann::json;

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

authz::TupleRecord t(std::string user, std::string relation, std::string object) {
  return authz::TupleRecord{std::move(object), std::move(relation), std::move(user), "", nullptr};
}

mcp::Tool tool(const std::string& server, const std::string& name, Json schema = Json{{"type", "object"}}) {
  mcp::Tool out;
  out.descriptor = Json{{"name", name}, {"inputSchema", std::move(schema)}};
  out.server = server;
  return out;
}

class ToolAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = authz::parse_dsl(read_text_file("examples/demo-policy.fga"));
    ASSERT_TRUE(model.ok()) << model.error().message;
    auto engine = authz::Engine::create(*model);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::shared_ptr<authz::Engine>(std::move(*engine));
    authz::WriteRequest w;
    for (const char* name : {"list_events", "get_availability", "create_event", "delete_event"}) {
      w.writes.push_back(t("mcp_server:calendar", "server", std::string("tool:calendar/") + name));
    }
    for (const char* name : {"search_messages", "send_message"}) {
      w.writes.push_back(t("mcp_server:mail", "server", std::string("tool:mail/") + name));
    }
    w.writes.push_back(t("user:alice", "member", "group:staff"));
    w.writes.push_back(t("group:staff#member", "invoker", "mcp_server:calendar"));
    w.writes.push_back(t("group:staff#member", "invoker", "mcp_server:mail"));
    w.writes.push_back(t("user:bob", "invoker", "tool:calendar/list_events"));
    w.writes.push_back(t("user:bob", "invoker", "tool:mail/search_messages"));
    w.writes.push_back(t("client:*", "agent", "mcp_server:calendar"));
    w.writes.push_back(t("client:*", "agent", "mcp_server:mail"));
    w.writes.push_back(t("client:calendar-assistant", "scoped_agent", "mcp_server:calendar"));
    w.writes.push_back(t("client:calendar-assistant", "scoped_agent", "mcp_server:mail"));
    w.writes.push_back(t("client:calendar-assistant", "agent", "tool:calendar/get_availability"));
    w.writes.push_back(t("client:calendar-assistant", "agent", "tool:calendar/list_events"));
    authz::TupleRecord limit = t("user:*", "arg_denied", "tool:calendar/list_events");
    limit.condition_name = "too_many_results";
    limit.condition_context = Json{{"limit", 50}};
    w.writes.push_back(limit);
    auto r = engine_->write(w);
    ASSERT_TRUE(r.error.ok()) << r.error.message;
    log_ = std::make_shared<DecisionLog>(DecisionLog::Options{false, ArgumentLogging::kDigest});
    authorizer_ = std::make_unique<EngineToolAuthorizer>(engine_, ToolAuthorizerOptions{}, log_);
  }

  mcp::ToolDecision call(const std::string& user, const std::string& client, const mcp::Tool& tl,
                         const Json& args = Json::object()) {
    mcp::Caller caller{user, client, {}, "default"};
    mcp::ToolCall c{&caller, &tl, &args, "127.0.0.1"};
    return authorizer_->authorize_call(c);
  }

  bool visible(const mcp::Caller* caller, const mcp::Tool& tl) const {
    return authorizer_->may_list(caller, std::vector<mcp::Tool>{tl}).at(0);
  }

  std::shared_ptr<authz::Engine> engine_;
  std::shared_ptr<DecisionLog> log_;
  std::unique_ptr<EngineToolAuthorizer> authorizer_;
  const Json list_schema_ = Json{{"type", "object"},
                                 {"properties", {{"max_results", {{"type", "integer"}, {"default", 20}}}}}};
};

TEST_F(ToolAuthorizerTest, BothUserAndAgentMustAllow) {
  EXPECT_TRUE(call("alice", "calendar-assistant", tool("calendar", "get_availability")).allowed);
  auto denied = call("alice", "calendar-assistant", tool("calendar", "delete_event"));
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.message, "tool calendar/delete_event is not permitted for this client");
  EXPECT_FALSE(denied.decision_id.empty());
  EXPECT_TRUE(call("alice", "another-agent", tool("calendar", "delete_event")).allowed);
  auto bob = call("bob", "another-agent", tool("calendar", "delete_event"));
  EXPECT_FALSE(bob.allowed);
  EXPECT_EQ(bob.message, "tool calendar/delete_event is not permitted for this user");
  EXPECT_FALSE(call("alice", "calendar-assistant", tool("mail", "send_message")).allowed);
}

TEST_F(ToolAuthorizerTest, ArgumentConditionDecidesListEvents) {
  const auto list = tool("calendar", "list_events", list_schema_);
  EXPECT_TRUE(call("alice", "calendar-assistant", list, Json{{"max_results", 20}}).allowed);
  EXPECT_TRUE(call("alice", "calendar-assistant", list, Json{{"max_results", 50}}).allowed);
  auto over = call("alice", "calendar-assistant", list, Json{{"max_results", 51}});
  EXPECT_FALSE(over.allowed);
  EXPECT_EQ(over.message, "tool calendar/list_events is not permitted for this user");
  // Without the argument the condition cannot be evaluated: an error, which denies.
  EXPECT_FALSE(call("alice", "calendar-assistant", list, Json::object()).allowed);
  // An argument of the wrong type cannot be typed for the condition: denied.
  EXPECT_FALSE(call("alice", "calendar-assistant", list, Json{{"max_results", "51"}}).allowed);
}

// The blast radius (admin getAgentAccess): both checks per tool without arguments; a condition
// on arguments is "conditional" naming its missing parameter; nothing is counted as a decision.
TEST_F(ToolAuthorizerTest, ReachShowsBothChecksOfEveryToolWithoutCountingDecisions) {
  const std::vector<mcp::Tool> tools = {tool("calendar", "list_events"),
                                        tool("calendar", "get_availability"),
                                        tool("calendar", "create_event")};
  const auto before = log_->allowed() + log_->denied() + log_->errors();
  const auto r = authorizer_->reach("default", "bob", "calendar-assistant", tools);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].object, "tool:calendar/list_events");
  EXPECT_EQ(r[0].user.result, "conditional");
  EXPECT_NE(r[0].user.detail.find("arg_max_results"), std::string::npos) << r[0].user.detail;
  EXPECT_EQ(r[0].client.result, "allow");
  EXPECT_EQ(r[1].user.result, "deny");  // bob may not use get_availability
  EXPECT_EQ(r[1].client.result, "allow");
  EXPECT_EQ(r[2].client.result, "deny");  // the assistant is scoped to two tools
  const auto alice = authorizer_->reach("default", "alice", "", tools);
  EXPECT_EQ(alice[2].user.result, "allow");
  EXPECT_NE(alice[2].user.detail.find("group:staff#member"), std::string::npos) << alice[2].user.detail;
  EXPECT_TRUE(alice[2].client.result.empty());  // no client: the user's checks only
  // Fail closed: an organization without a store, an identifier that would smuggle a userset.
  EXPECT_EQ(authorizer_->reach("ghost", "alice", "", tools)[0].user.result, "error");
  EXPECT_EQ(authorizer_->reach("default", "alice#member", "", tools)[0].user.result, "error");
  EXPECT_EQ(log_->allowed() + log_->denied() + log_->errors(), before);
}

TEST_F(ToolAuthorizerTest, DecisionsAreCounted) {
  call("alice", "calendar-assistant", tool("calendar", "get_availability"));
  call("alice", "calendar-assistant", tool("calendar", "delete_event"));
  call("alice", "calendar-assistant", tool("calendar", "list_events", list_schema_));
  EXPECT_EQ(log_->allowed(), 1u);
  EXPECT_EQ(log_->denied(), 1u);
  EXPECT_EQ(log_->errors(), 1u);
}

// A decision line is written only when the log is on and the logger's level lets it through
// (allow/deny at info, errors at warn); counting never depends on either.
TEST(DecisionLogTest, WritesFollowTheSwitchAndTheLoggersLevel) {
  log::init(log::Options{log::Level::kWarn, false});
  DecisionLog on(DecisionLog::Options{});
  EXPECT_FALSE(on.writes(Outcome::kAllow));
  EXPECT_FALSE(on.writes(Outcome::kDeny));
  EXPECT_TRUE(on.writes(Outcome::kError));
  Decision d;
  d.outcome = Outcome::kDeny;
  on.record(d, nullptr);
  EXPECT_EQ(on.denied(), 1u);
  log::init(log::Options{log::Level::kInfo, false});
  EXPECT_TRUE(on.writes(Outcome::kAllow));
  DecisionLog off(DecisionLog::Options{false, ArgumentLogging::kDigest});
  EXPECT_FALSE(off.writes(Outcome::kError));
  off.record(d, nullptr);
  EXPECT_EQ(off.denied(), 1u);
  log::shutdown();
}

TEST_F(ToolAuthorizerTest, ToolsListShowsWhatBothMayCallCountingConditionsAsMaybe) {
  mcp::Caller assistant{"alice", "calendar-assistant", {}, "default"};
  EXPECT_TRUE(visible(&assistant, tool("calendar", "get_availability")));
  EXPECT_TRUE(visible(&assistant, tool("calendar", "list_events", list_schema_)));
  EXPECT_FALSE(visible(&assistant, tool("calendar", "delete_event")));
  EXPECT_FALSE(visible(&assistant, tool("mail", "send_message")));
  mcp::Caller bob{"bob", "other", {}, "default"};
  EXPECT_TRUE(visible(&bob, tool("mail", "search_messages")));
  EXPECT_FALSE(visible(&bob, tool("mail", "send_message")));
}

TEST_F(ToolAuthorizerTest, OneListCallAnswersEveryToolInOrder) {
  mcp::Caller assistant{"alice", "calendar-assistant", {}, "default"};
  const std::vector<mcp::Tool> tools{tool("calendar", "delete_event"), tool("calendar", "get_availability"),
                                     tool("mail", "send_message"), tool("calendar", "list_events", list_schema_)};
  EXPECT_EQ(authorizer_->may_list(&assistant, tools), (std::vector<bool>{false, true, false, true}));
  EXPECT_EQ(authorizer_->may_list(nullptr, tools), (std::vector<bool>(4, false)));
}

TEST_F(ToolAuthorizerTest, ACallerWhoMayCallNothingSeesNothing) {
  mcp::Caller mallory{"mallory", "another-agent", {}, "default"};
  for (const auto& tl : {tool("calendar", "get_availability"), tool("calendar", "delete_event"),
                         tool("mail", "send_message"), tool("calendar", "list_events", list_schema_)}) {
    EXPECT_FALSE(visible(&mallory, tl)) << tl.descriptor.dump();
  }
}

TEST_F(ToolAuthorizerTest, ATupleWriteTakesEffectOnTheNextCall) {
  EXPECT_FALSE(call("bob", "other", tool("mail", "send_message")).allowed);
  authz::WriteRequest w;
  w.writes.push_back(t("user:bob", "invoker", "tool:mail/send_message"));
  ASSERT_TRUE(engine_->write(w).error.ok());
  EXPECT_TRUE(call("bob", "other", tool("mail", "send_message")).allowed);
}

TEST_F(ToolAuthorizerTest, NoCallerDeniesUnlessAnAnonymousIdentityIsConfigured) {
  const auto tl = tool("calendar", "get_availability");
  const Json args = Json::object();
  mcp::ToolCall c{nullptr, &tl, &args, "127.0.0.1"};
  EXPECT_FALSE(authorizer_->authorize_call(c).allowed);
  EXPECT_FALSE(visible(nullptr, tl));
}

TEST_F(ToolAuthorizerTest, IdentifiersCannotSmuggleUsersetsOrWildcards) {
  EXPECT_EQ(EngineToolAuthorizer::expand("user:{sub}", "s", "t", "alice", "c"), "user:alice");
  EXPECT_EQ(EngineToolAuthorizer::expand("user:{sub}", "s", "t", "group:staff#member", "c"), "");
  EXPECT_EQ(EngineToolAuthorizer::expand("user:{sub}", "s", "t", "*", "c"), "");
  EXPECT_EQ(EngineToolAuthorizer::expand("user:{sub}", "s", "t", "a b", "c"), "");
  EXPECT_EQ(EngineToolAuthorizer::expand("user:{sub}", "s", "t", "", "c"), "");
  EXPECT_EQ(EngineToolAuthorizer::expand("client:{client_id}", "s", "t", "u", "https://a.example/c.json"),
            "client:https://a.example/c.json");
  EXPECT_EQ(EngineToolAuthorizer::expand("tool:{nope}", "s", "t", "u", "c"), "");
  // A user named like a userset is denied, not evaluated as the group.
  EXPECT_FALSE(call("group:staff#member", "another-agent", tool("calendar", "delete_event")).allowed);
  EXPECT_FALSE(call("*", "another-agent", tool("calendar", "delete_event")).allowed);
}


// ---- one store per organization (issue 8) ---------------------------------------------------

// A model where a user grant may be the wildcard, so one tuple would open a tool to everyone
// of the store.
constexpr const char* kOrgModel = R"(model
  schema 1.1
type user
type client
type tool
  relations
    define can_invoke: [user, user:*]
    define can_be_used_by_agent: [client, client:*]
)";

std::shared_ptr<authz::Engine> org_engine() {
  auto model = authz::parse_dsl(kOrgModel);
  EXPECT_TRUE(model.ok()) << model.error().message;
  auto engine = authz::Engine::create(*model);
  EXPECT_TRUE(engine.ok()) << engine.error().message;
  auto out = std::shared_ptr<authz::Engine>(std::move(*engine));
  authz::WriteRequest w;
  w.writes.push_back(t("client:*", "can_be_used_by_agent", "tool:calendar/list_events"));
  EXPECT_TRUE(out->write(w).error.ok());
  return out;
}

class OrgToolAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    acme_ = org_engine();
    globex_ = org_engine();
    deflt_ = org_engine();
    log_ = std::make_shared<DecisionLog>(DecisionLog::Options{false, ArgumentLogging::kDigest});
    authorizer_ = std::make_unique<EngineToolAuthorizer>(
        OrgEngines{{"default", deflt_}, {"acme", acme_}, {"globex", globex_}}, ToolAuthorizerOptions{}, log_);
  }

  mcp::ToolDecision call(const std::string& org, const std::string& user = "alice") const {
    mcp::Caller caller{user, "agent", {}, org};
    const Json args = Json::object();
    mcp::ToolCall c{&caller, &tool_, &args, "127.0.0.1"};
    return authorizer_->authorize_call(c);
  }

  bool visible(const std::string& org) const {
    mcp::Caller caller{"alice", "agent", {}, org};
    return authorizer_->may_list(&caller, std::vector<mcp::Tool>{tool_}).at(0);
  }

  static void grant(authz::Engine& engine, const std::string& user) {
    authz::WriteRequest w;
    w.writes.push_back(t(user, "can_invoke", "tool:calendar/list_events"));
    ASSERT_TRUE(engine.write(w).error.ok());
  }

  std::shared_ptr<authz::Engine> acme_;
  std::shared_ptr<authz::Engine> globex_;
  std::shared_ptr<authz::Engine> deflt_;
  std::shared_ptr<DecisionLog> log_;
  std::unique_ptr<EngineToolAuthorizer> authorizer_;
  const mcp::Tool tool_ = tool("calendar", "list_events");
};

TEST_F(OrgToolAuthorizerTest, AnotherOrganizationsGrantNeverAllows) {
  // globex grants the tool to its alice and then to everyone (user:*): neither reaches acme.
  grant(*globex_, "user:alice");
  grant(*globex_, "user:*");
  EXPECT_TRUE(call("globex").allowed);
  EXPECT_TRUE(call("globex", "anyone").allowed);
  const auto denied = call("acme");
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.message, "tool calendar/list_events is not permitted for this user");
  EXPECT_FALSE(visible("acme"));
  EXPECT_TRUE(visible("globex"));
  // Nor does it reach the default organization.
  EXPECT_FALSE(call("default").allowed);
  EXPECT_EQ(log_->denied(), 2u);
}

TEST_F(OrgToolAuthorizerTest, TheGrantInTheCallersOwnStoreAllows) {
  EXPECT_FALSE(call("acme").allowed);
  grant(*acme_, "user:alice");
  EXPECT_TRUE(call("acme").allowed);
  EXPECT_TRUE(visible("acme"));
  EXPECT_FALSE(call("acme", "bob").allowed);
  // acme's grant opens nothing in globex.
  EXPECT_FALSE(call("globex").allowed);
  EXPECT_FALSE(visible("globex"));
}

TEST_F(OrgToolAuthorizerTest, UnknownOrEmptyOrganizationIsDeniedEvenWithWildcardsEverywhere) {
  for (auto* engine : {acme_.get(), globex_.get(), deflt_.get()}) {
    grant(*engine, "user:*");
  }
  for (const std::string org : {"initech", "", "ACME", "acme ", "default#member"}) {
    const auto d = call(org);
    EXPECT_FALSE(d.allowed) << "org '" << org << "'";
    EXPECT_FALSE(d.decision_id.empty());
    EXPECT_FALSE(visible(org)) << "org '" << org << "'";
  }
  EXPECT_EQ(log_->errors(), 5u);  // an error decision (fail closed), not a policy denial
  EXPECT_TRUE(call("acme").allowed);
}

TEST_F(OrgToolAuthorizerTest, TheAnonymousCallerIsCheckedInTheDefaultOrganization) {
  ToolAuthorizerOptions o;
  o.anonymous_user = "guest";
  o.anonymous_client = "anonymous";
  EngineToolAuthorizer anon(OrgEngines{{"default", deflt_}, {"acme", acme_}}, o, log_);
  const Json args = Json::object();
  mcp::ToolCall c{nullptr, &tool_, &args, "127.0.0.1"};
  grant(*acme_, "user:guest");
  EXPECT_FALSE(anon.authorize_call(c).allowed);
  grant(*deflt_, "user:guest");
  EXPECT_TRUE(anon.authorize_call(c).allowed);
}

TEST_F(OrgToolAuthorizerTest, TheSingleEngineAuthorizerServesTheDefaultOrganizationOnly) {
  grant(*deflt_, "user:*");
  EngineToolAuthorizer single(std::shared_ptr<const authz::Engine>(deflt_), ToolAuthorizerOptions{}, log_);
  const Json args = Json::object();
  mcp::Caller home{"alice", "agent", {}, "default"};
  mcp::Caller acme{"alice", "agent", {}, "acme"};
  EXPECT_TRUE(single.authorize_call(mcp::ToolCall{&home, &tool_, &args, "127.0.0.1"}).allowed);
  EXPECT_FALSE(single.authorize_call(mcp::ToolCall{&acme, &tool_, &args, "127.0.0.1"}).allowed);
}

}  // namespace
}  // namespace mcpgate::policy
