// build_policy with organizations on a real (in-memory SQLite) store: one authorization store
// per organization, the default one keeping the id deployments had before, the store file's
// tuples seeding the default organization's only, and the authorizer checking each caller in its
// own organization's store.

#include "app/policy_stack.hpp"

#include <gtest/gtest.h>
#include <unistd.h>  // getpid

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "app/config_test_support.hpp"
#include "crypto/master_key.hpp"
#include "mcp/tool.hpp"
#include "store/sqlite_store.hpp"

namespace mcpgate::app {
namespace {

using test_support::parse_ok;

// The store file: a model whose user grant may be the wildcard, and a wildcard grant to seed.
constexpr const char* kStoreFile = R"(name: orgs
model: |
  model
    schema 1.1
  type user
  type client
  type tool
    relations
      define can_invoke: [user, user:*]
      define can_be_used_by_agent: [client, client:*]
tuples:
  - user: user:*
    relation: can_invoke
    object: tool:calendar/list_events
  - user: client:*
    relation: can_be_used_by_agent
    object: tool:calendar/list_events
)";

class PolicyStackOrgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mcpgate-policy-stack-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "orgs.fga.yaml") << kStoreFile;
    config_ = parse_ok("authz:\n  store_file: " + (dir_ / "orgs.fga.yaml").string() +
                       "\norganizations:\n  - {id: acme, domains: [acme.test]}\n  - {id: globex}\n");
    store::SqliteOptions so;
    so.path = ":memory:";
    auto opened = store::open_sqlite_store(so, *crypto::MasterKey::from_bytes(std::string(32, '\x42')));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static bool allowed(const PolicyStack& p, const std::string& org) {
    mcp::Tool tool;
    tool.descriptor = nlohmann::json{{"name", "list_events"}};
    tool.server = "calendar";
    mcp::Caller caller{"alice", "agent", {}, org};
    const nlohmann::json args = nlohmann::json::object();
    return p.authorizer->authorize_call(mcp::ToolCall{&caller, &tool, &args, "127.0.0.1"}).allowed;
  }

  std::filesystem::path dir_;
  Config config_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(PolicyStackOrgTest, EachOrganizationHasItsOwnStoreTheDefaultKeepingItsId) {
  auto built = build_policy(config_, store_.get());
  ASSERT_TRUE(built.ok()) << built.error().message;
  const PolicyStack& p = *built;
  ASSERT_EQ(p.stores.size(), 3u);
  EXPECT_EQ(p.stores[0].org_id, "default");
  EXPECT_EQ(p.stores[1].org_id, "acme");
  EXPECT_EQ(p.stores[2].org_id, "globex");
  EXPECT_EQ(p.stores[0].service, p.service);
  EXPECT_EQ(p.service->store_id(), policy_store_id("mcpgate"));  // as before organizations
  EXPECT_EQ(p.service->store_name(), "mcpgate");
  EXPECT_EQ(p.stores[1].service->store_name(), "mcpgate/acme");
  std::set<std::string> ids;
  for (const auto& s : p.stores) {
    EXPECT_EQ(s.service->store_id(), org_policy_store_id("mcpgate", s.org_id));
    EXPECT_EQ(s.service->store_id().size(), 26u);
    EXPECT_FALSE(s.service->current_model_id().empty()) << s.org_id << " has the model";
    ids.insert(s.service->store_id());
  }
  EXPECT_EQ(ids.size(), 3u);
  // Another store name gives other ids; the same inputs the same id (replicas agree).
  EXPECT_NE(org_policy_store_id("other", "acme"), org_policy_store_id("mcpgate", "acme"));
  EXPECT_EQ(org_policy_store_id("mcpgate", "acme"), p.stores[1].service->store_id());
}

TEST_F(PolicyStackOrgTest, TheStoreFilesTuplesSeedTheDefaultOrganizationOnly) {
  auto built = build_policy(config_, store_.get());
  ASSERT_TRUE(built.ok()) << built.error().message;
  const PolicyStack& p = *built;
  EXPECT_EQ(p.stores[0].service->engine().revision(), 1u);
  EXPECT_EQ(p.stores[1].service->engine().revision(), 0u);
  EXPECT_EQ(p.stores[2].service->engine().revision(), 0u);
  // The seeded user:* grant opens the tool to the default organization only.
  EXPECT_TRUE(allowed(p, "default"));
  EXPECT_FALSE(allowed(p, "acme"));
  EXPECT_FALSE(allowed(p, "globex"));
  EXPECT_FALSE(allowed(p, "initech"));  // no store: denied
  EXPECT_FALSE(allowed(p, ""));
}

TEST_F(PolicyStackOrgTest, AnotherProcessOnTheSameDatabaseFindsEachOrganizationsTuples) {
  auto first = build_policy(config_, store_.get());
  ASSERT_TRUE(first.ok()) << first.error().message;
  authz::WriteRequest w;
  w.writes.push_back(authz::TupleRecord{"tool:calendar/list_events", "can_invoke", "user:alice", "", nullptr});
  w.writes.push_back(
      authz::TupleRecord{"tool:calendar/list_events", "can_be_used_by_agent", "client:agent", "", nullptr});
  auto written = first->stores[1].service->write_tuples(w);
  ASSERT_TRUE(written.ok() && written->error.ok());
  EXPECT_TRUE(allowed(*first, "acme"));
  EXPECT_FALSE(allowed(*first, "globex"));
  // A restart (or a replica): same ids, each store loads its own tuples; the default one is not
  // seeded twice.
  auto second = build_policy(config_, store_.get());
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(allowed(*second, "acme"));
  EXPECT_FALSE(allowed(*second, "globex"));
  EXPECT_TRUE(allowed(*second, "default"));
  EXPECT_EQ(second->stores[0].service->engine().revision(), 1u);
  // A later write through the first reaches the second's globex store by catch-up only there.
  auto globex = first->stores[2].service->write_tuples(w);
  ASSERT_TRUE(globex.ok() && globex->error.ok());
  EXPECT_FALSE(allowed(*second, "globex"));
  for (const auto& s : second->stores) {
    ASSERT_TRUE(s.service->catch_up().ok());
  }
  EXPECT_TRUE(allowed(*second, "globex"));
  EXPECT_EQ(second->stores[1].service->engine().revision(), first->stores[1].service->engine().revision());
}

}  // namespace
}  // namespace mcpgate::app
