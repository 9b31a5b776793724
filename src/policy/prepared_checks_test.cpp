// EngineToolAuthorizer's prepared checks (prepared_checks.hpp) with the real engine: every
// decision made through a cached pair must equal the one a string-checking authorizer
// (prepared_check_slots = 0) makes on the same engine, across tuple writes and deletes, model
// swaps, loads, new subjects, slot collisions and concurrent callers; the cache stays bounded.

#include "policy/prepared_checks.hpp"

#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "authz/dsl.hpp"
#include "mcp/tool.hpp"
#include "policy/tool_authorizer.hpp"

namespace mcpgate::policy {
namespace {

using Json = nlohmann::json;

constexpr const char* kPreparedModel = R"(model
  schema 1.1
type user
type group
  relations
    define member: [user]
type client
type mcp_server
  relations
    define invoker: [user, group#member]
    define agent: [client, client:* with registered_as]
type tool
  relations
    define server: [mcp_server]
    define invoker: [user, group#member] or invoker from server
    define agent: [client] or agent from server
    define blocked: [user, client]
    define can_invoke: invoker but not blocked
    define can_be_used_by_agent: agent but not blocked
condition registered_as(client_kind: string, kinds: list<string>) {
  client_kind in kinds
}
)";

// The same types, but tools grant users directly only (the server's invokers no longer count).
std::string direct_only_model() {
  std::string dsl = kPreparedModel;
  const std::string from = "define invoker: [user, group#member] or invoker from server";
  const auto at = dsl.find(from);
  EXPECT_NE(at, std::string::npos);
  return at == std::string::npos ? dsl : dsl.replace(at, from.size(), "define invoker: [user]");
}

// No can_invoke at all: every user check is an error (denied).
constexpr const char* kNoInvokeModel = R"(model
  schema 1.1
type user
type client
type tool
  relations
    define can_be_used_by_agent: [client]
)";

authz::TupleRecord rec(std::string user, std::string relation, std::string object) {
  return authz::TupleRecord{std::move(object), std::move(relation), std::move(user), "", nullptr};
}

authz::AuthorizationModel model_of(const std::string& dsl) {
  auto model = authz::parse_dsl(dsl);
  EXPECT_TRUE(model.ok()) << model.error().message;
  return model.ok() ? *model : authz::AuthorizationModel{};
}

std::vector<authz::TupleRecord> base_tuples() {
  authz::TupleRecord any_static = rec("client:*", "agent", "mcp_server:cal");
  any_static.condition_name = "registered_as";
  any_static.condition_context = Json{{"kinds", {"static"}}};
  return {rec("user:alice", "member", "group:staff"),
          rec("group:staff#member", "invoker", "mcp_server:cal"),
          rec("mcp_server:cal", "server", "tool:cal/list"),
          rec("mcp_server:cal", "server", "tool:cal/create"),
          any_static};
}

class PreparedChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = authz::Engine::create(model_of(kPreparedModel));
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::shared_ptr<authz::Engine>(std::move(*engine));
    authz::WriteRequest w;
    w.writes = base_tuples();
    ASSERT_TRUE(engine_->write(w).error.ok());
    log_ = std::make_shared<DecisionLog>(DecisionLog::Options{false, ArgumentLogging::kDigest});
    prepared_ = make(4096);
    strings_ = make(0);
  }

  std::unique_ptr<EngineToolAuthorizer> make(std::size_t slots) const {
    ToolAuthorizerOptions o;
    o.prepared_check_slots = slots;
    o.client_kind = [](std::string_view id) {
      return std::string(id == "agent" ? "static" : "dcr");
    };
    return std::make_unique<EngineToolAuthorizer>(engine_, std::move(o), log_);
  }

  static mcp::Tool tool(const std::string& name) {
    mcp::Tool out;
    out.descriptor = Json{{"name", name}, {"inputSchema", {{"type", "object"}}}};
    out.server = "cal";
    return out;
  }

  static mcp::ToolDecision call(const EngineToolAuthorizer& a,
                                const std::string& user,
                                const std::string& client,
                                const std::string& name) {
    const mcp::Caller caller{user, client, {}, "default"};
    const mcp::Tool tl = tool(name);
    const Json args = Json::object();
    return a.authorize_call(mcp::ToolCall{&caller, &tl, &args, "127.0.0.1"});
  }

  // The prepared authorizer's decision, which must equal the string authorizer's.
  bool allowed(const std::string& user,
               const std::string& client = "agent",
               const std::string& name = "list") {
    const mcp::ToolDecision p = call(*prepared_, user, client, name);
    const mcp::ToolDecision s = call(*strings_, user, client, name);
    EXPECT_EQ(p.allowed, s.allowed) << user << " / " << client << " / " << name;
    EXPECT_EQ(p.message, s.message) << user << " / " << client << " / " << name;
    return p.allowed;
  }

  // The pair the cache holds for a caller of tool:cal/<name>, or null.
  std::shared_ptr<const PreparedPair> held(const std::string& user,
                                           const std::string& client = "agent",
                                           const std::string& name = "list") const {
    const PairKey key{"default", "cal", name, user, client};
    return prepared_->prepared_checks().find(key, key.hash(), engine_.get());
  }

  void write(std::vector<authz::TupleRecord> writes, std::vector<authz::TupleRecord> deletes = {}) {
    authz::WriteRequest w;
    w.writes = std::move(writes);
    w.deletes = std::move(deletes);
    const authz::WriteResult r = engine_->write(w);
    ASSERT_TRUE(r.error.ok()) << r.error.message;
  }

  std::shared_ptr<authz::Engine> engine_;
  std::shared_ptr<DecisionLog> log_;
  std::unique_ptr<EngineToolAuthorizer> prepared_;
  std::unique_ptr<EngineToolAuthorizer> strings_;
};

TEST_F(PreparedChecksTest, DecisionsFollowTupleWritesAndDeletesBetweenCalls) {
  EXPECT_TRUE(allowed("alice"));
  const auto pair = held("alice");
  ASSERT_NE(pair, nullptr);
  EXPECT_TRUE(pair->user_check.resolved());
  // client:agent is granted through client:* only, so it is in no tuple: its check resolves
  // the strings on every call (still prepared once, refreshed only after a change).
  EXPECT_FALSE(pair->client_check.resolved());

  write({rec("user:alice", "blocked", "tool:cal/list")});
  EXPECT_FALSE(allowed("alice"));
  EXPECT_EQ(held("alice"), pair);  // writes keep the ids: the same pair answered
  write({}, {rec("user:alice", "blocked", "tool:cal/list")});
  EXPECT_TRUE(allowed("alice"));
  write({}, {rec("user:alice", "member", "group:staff")});
  EXPECT_FALSE(allowed("alice"));
  write({rec("user:alice", "member", "group:staff")});
  EXPECT_TRUE(allowed("alice"));
  // The agent side: a blocked client, then a client of a kind the condition refuses.
  write({rec("client:agent", "blocked", "tool:cal/list")});
  EXPECT_FALSE(allowed("alice"));
  write({}, {rec("client:agent", "blocked", "tool:cal/list")});
  EXPECT_TRUE(allowed("alice"));
  EXPECT_FALSE(allowed("alice", "registered-later"));
  write({rec("client:registered-later", "agent", "tool:cal/list")});
  EXPECT_TRUE(allowed("alice", "registered-later"));
}

TEST_F(PreparedChecksTest, ASubjectTheStoreHadNotSeenIsPreparedAgainOnceItAppears) {
  EXPECT_FALSE(allowed("carol"));
  ASSERT_NE(held("carol"), nullptr);
  EXPECT_FALSE(held("carol")->user_check.resolved());  // user:carol is in no tuple yet
  write({rec("user:carol", "member", "group:staff")});
  EXPECT_TRUE(allowed("carol"));
  // That call answered through the strings and published a fresh pair with the ids.
  ASSERT_NE(held("carol"), nullptr);
  EXPECT_TRUE(held("carol")->user_check.resolved());
  EXPECT_TRUE(allowed("carol"));
  write({rec("user:carol", "blocked", "tool:cal/list")});
  EXPECT_FALSE(allowed("carol"));
}

TEST_F(PreparedChecksTest, DecisionsFollowModelSwapsAndLoads) {
  EXPECT_TRUE(allowed("alice"));
  ASSERT_TRUE(engine_->set_model(model_of(direct_only_model())).ok());
  EXPECT_FALSE(allowed("alice"));  // group members of the server no longer invoke its tools
  write({rec("user:alice", "invoker", "tool:cal/list")});
  EXPECT_TRUE(allowed("alice"));
  ASSERT_NE(held("alice"), nullptr);
  EXPECT_EQ(held("alice")->model_version,
            engine_->model_version());  // re-prepared on the new model

  ASSERT_TRUE(engine_->set_model(model_of(kNoInvokeModel)).ok());
  EXPECT_FALSE(allowed("alice"));  // the relation is gone: an error, which denies
  EXPECT_FALSE(allowed("alice"));
  ASSERT_TRUE(engine_->set_model(model_of(kPreparedModel)).ok());
  EXPECT_TRUE(allowed("alice"));

  // A load replaces every tuple and reassigns the ids the pair holds.
  std::vector<authz::TupleRecord> reloaded = base_tuples();
  reloaded.erase(reloaded.begin());  // alice is no longer staff
  reloaded.push_back(rec("user:dave", "member", "group:staff"));
  ASSERT_TRUE(engine_->load(reloaded, engine_->revision() + 1).ok());
  EXPECT_FALSE(allowed("alice"));
  EXPECT_TRUE(allowed("dave"));
  ASSERT_TRUE(engine_->load(base_tuples(), engine_->revision() + 1).ok());
  EXPECT_TRUE(allowed("alice"));
  EXPECT_FALSE(allowed("dave"));
}

TEST_F(PreparedChecksTest, ManyDistinctCallersNeverGrowTheCache) {
  auto small = make(8);
  EXPECT_EQ(small->prepared_checks().capacity(), 8U);
  for (int i = 0; i < 2000; ++i) {
    EXPECT_FALSE(call(*small, "u" + std::to_string(i), "c" + std::to_string(i), "list").allowed);
    if (i % 100 == 0) {
      EXPECT_TRUE(call(*small, "alice", "agent", "list").allowed);
    }
  }
  EXPECT_LE(small->prepared_checks().occupied(), 8U);
  EXPECT_TRUE(call(*small, "alice", "agent", "list").allowed);
  // Oversized identifiers are decided (as the string path decides them) but never held.
  const std::size_t before = prepared_->prepared_checks().occupied();
  EXPECT_FALSE(allowed(std::string(PairKey::kMaxCachedBytes, 'x')));
  EXPECT_FALSE(allowed("alice", std::string(PairKey::kMaxCachedBytes, 'y')));
  EXPECT_EQ(prepared_->prepared_checks().occupied(), before);
}

TEST_F(PreparedChecksTest, CallersSharingASlotNeverShareChecks) {
  auto one = make(1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(call(*one, "alice", "agent", "list").allowed);
    EXPECT_FALSE(call(*one, "mallory", "agent", "list").allowed);
    EXPECT_FALSE(call(*one, "alice", "other-agent", "list").allowed);  // dcr: the condition refuses
    EXPECT_FALSE(call(*one, "alice", "agent", "nope").allowed);        // not a tool of the server
  }
  // Keys differ field by field, wherever the characters fall.
  PreparedPair pair;
  pair.org = "default";
  pair.server = "ab";
  pair.tool = "c";
  pair.sub = "u";
  pair.client = "k";
  EXPECT_TRUE((PairKey{"default", "ab", "c", "u", "k"}.matches(pair)));
  EXPECT_FALSE((PairKey{"default", "a", "bc", "u", "k"}.matches(pair)));
  EXPECT_FALSE((PairKey{"other", "ab", "c", "u", "k"}.matches(pair)));
  EXPECT_NE((PairKey{"default", "ab", "c", "u", "k"}.hash()),
            (PairKey{"default", "a", "bc", "u", "k"}.hash()));
}

TEST_F(PreparedChecksTest, ToolsListUsesThePairsAndAgreesWithTheStringPath) {
  const mcp::Caller alice{"alice", "agent", {}, "default"};
  const mcp::Caller mallory{"mallory", "agent", {}, "default"};
  const std::vector<mcp::Tool> tools = {tool("list"), tool("create"), tool("absent")};
  for (const mcp::Caller* who : {&alice, &mallory}) {
    EXPECT_EQ(prepared_->may_list(who, tools), strings_->may_list(who, tools)) << who->subject;
  }
  EXPECT_EQ(prepared_->may_list(&alice, tools), (std::vector<bool>{true, true, false}));
  EXPECT_NE(held("alice", "agent", "create"), nullptr);
  write({rec("user:alice", "blocked", "tool:cal/create")});
  EXPECT_EQ(prepared_->may_list(&alice, tools), (std::vector<bool>{true, false, false}));
}

TEST_F(PreparedChecksTest, ConcurrentCallsWhileTuplesAndModelsChange) {
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([&, t] {
      const std::string user = t == 0 ? "alice" : t == 1 ? "carol" : "u" + std::to_string(t);
      while (!stop.load()) {
        (void)call(*prepared_, user, "agent", calls.load() % 2 == 0 ? "list" : "create");
        calls.fetch_add(1);
      }
    });
  }
  for (int round = 0; round < 40; ++round) {
    write({rec("user:alice", "blocked", "tool:cal/list"),
           rec("user:carol", "member", "group:staff")});
    write({},
          {rec("user:alice", "blocked", "tool:cal/list"),
           rec("user:carol", "member", "group:staff")});
    ASSERT_TRUE(engine_
                    ->set_model(model_of(round % 2 == 0 ? direct_only_model()
                                                        : std::string(kPreparedModel)))
                    .ok());
  }
  while (calls.load() < 200) {
    std::this_thread::yield();
  }
  stop = true;
  for (auto& th : callers) {
    th.join();
  }
  // Whatever the threads left in the cache answers for the final state.
  EXPECT_TRUE(allowed("alice"));
  EXPECT_TRUE(allowed("alice", "agent", "create"));
  EXPECT_FALSE(allowed("carol"));
  write({rec("user:carol", "member", "group:staff")});
  EXPECT_TRUE(allowed("carol"));
}

}  // namespace
}  // namespace mcpgate::policy
