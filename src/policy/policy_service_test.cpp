// PolicyService over a real store (SQLite here; the store suite runs the same tables on
// PostgreSQL): writes persist, another service on the same store (another replica) catches up,
// a restart reloads models and tuples, and the database's OpenFGA write rules surface as
// FGA errors.

#include "policy/policy_service.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "authz/dsl.hpp"
#include "policy/store_persistence.hpp"
#include "store/open_store.hpp"

namespace mcpgate::policy {
namespace {

constexpr const char* kServiceModel = R"(model
  schema 1.1
type user
type tool
  relations
    define invoker: [user]
)";

authz::TupleRecord t(std::string user, std::string object) {
  return authz::TupleRecord{std::move(object), "invoker", std::move(user), "", nullptr};
}

bool allowed(const PolicyService& s, const std::string& user, const std::string& object) {
  authz::CheckRequest req;
  req.object = object;
  req.relation = "invoker";
  req.user = user;
  return s.engine().check(req).allowed;
}

class PolicyServiceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mcpgate-policy-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::OpenStoreOptions o;
    o.data_dir = dir_;
    auto s = store::open_store("sqlite:" + (dir_ / "db.sqlite").string(), o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    auto m = authz::parse_dsl(kServiceModel);
    ASSERT_TRUE(m.ok()) << m.error().message;
    model_ = *m;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<PolicyService> replica() {
    auto s = std::make_unique<PolicyService>("01TESTSTORE0000000000000000", "test",
                                             std::make_shared<authz::Engine>(),
                                             std::make_shared<StorePolicyPersistence>(*store_));
    EXPECT_TRUE(s->load().ok());
    return s;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  authz::AuthorizationModel model_;
};

TEST_F(PolicyServiceStoreTest, WritesReachAnotherReplicaOnCatchUp) {
  auto a = replica();
  ASSERT_TRUE(a->write_model(model_).ok());
  auto b = replica();  // starts after the model was written: loads it
  EXPECT_EQ(b->current_model_id(), a->current_model_id());

  authz::WriteRequest w;
  w.writes.push_back(t("user:alice", "tool:x"));
  auto r = a->write_tuples(w);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->error.ok()) << r->error.message;
  EXPECT_TRUE(allowed(*a, "user:alice", "tool:x"));
  EXPECT_FALSE(allowed(*b, "user:alice", "tool:x"));  // not yet
  ASSERT_TRUE(b->catch_up().ok());
  EXPECT_TRUE(allowed(*b, "user:alice", "tool:x"));
  EXPECT_EQ(b->engine().revision(), a->engine().revision());

  authz::WriteRequest d;
  d.deletes.push_back(t("user:alice", "tool:x"));
  ASSERT_TRUE(b->write_tuples(d).ok());
  ASSERT_TRUE(a->catch_up().ok());
  EXPECT_FALSE(allowed(*a, "user:alice", "tool:x"));
}

TEST_F(PolicyServiceStoreTest, ARestartReloadsModelsAndTuples) {
  std::string model_id;
  {
    auto a = replica();
    auto id = a->write_model(model_);
    ASSERT_TRUE(id.ok());
    model_id = *id;
    authz::WriteRequest w;
    w.writes.push_back(t("user:bob", "tool:y"));
    ASSERT_TRUE(a->write_tuples(w)->error.ok());
  }
  auto again = replica();
  EXPECT_EQ(again->current_model_id(), model_id);
  EXPECT_TRUE(allowed(*again, "user:bob", "tool:y"));
}

TEST_F(PolicyServiceStoreTest, DatabaseWriteRulesBecomeFgaErrorsAndChangeNothing) {
  auto a = replica();
  ASSERT_TRUE(a->write_model(model_).ok());
  authz::WriteRequest w;
  w.writes.push_back(t("user:carol", "tool:z"));
  ASSERT_TRUE(a->write_tuples(w)->error.ok());
  const auto revision = a->engine().revision();
  auto again = a->write_tuples(w);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->error.code, authz::FgaErrorCode::kInvalidWriteInput);
  authz::WriteRequest missing;
  missing.deletes.push_back(t("user:nobody", "tool:z"));
  EXPECT_EQ(a->write_tuples(missing)->error.code, authz::FgaErrorCode::kInvalidWriteInput);
  // A tuple the model does not allow never reaches the database.
  authz::WriteRequest bad;
  bad.writes.push_back(authz::TupleRecord{"tool:z", "no_such_relation", "user:carol", "", nullptr});
  EXPECT_FALSE(a->write_tuples(bad)->error.ok());
  EXPECT_EQ(a->engine().revision(), revision);
  auto b = replica();
  EXPECT_EQ(b->engine().revision(), revision);
}

}  // namespace
}  // namespace mcpgate::policy

namespace mcpgate::policy {
namespace {

TEST(UlidTest, SixteenBytesSpellAsAValidUlid) {
  EXPECT_EQ(ulid_from_bytes(std::string(16, '\0')), std::string(26, '0'));
  // All ones: the two padding bits keep the first digit at 7, the largest valid ULID.
  EXPECT_EQ(ulid_from_bytes(std::string(16, '\xff')), "7" + std::string(25, 'Z'));
  const std::string id = new_ulid();
  ASSERT_EQ(id.size(), 26u);
  EXPECT_LE(id[0], '7');
  EXPECT_EQ(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos);
  EXPECT_NE(new_ulid(), id);
}

}  // namespace
}  // namespace mcpgate::policy
