// The bootstrap admin credential (bootstrap.hpp) with a real SQLite store, the demo model's
// engine and a real data directory.
#include "admin/bootstrap.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "authz/dsl.hpp"
#include "authz/engine.hpp"
#include "crypto/master_key.hpp"
#include "crypto/random.hpp"
#include "store/sqlite_store.hpp"

namespace mcpgate::admin {
namespace {

std::string bootstrap_read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mcpgate-bootstrap-" + crypto::random_id());
    std::filesystem::create_directories(dir_);
    store::SqliteOptions so;
    so.path = ":memory:";
    auto key = crypto::MasterKey::from_bytes(crypto::random_bytes(32));
    ASSERT_TRUE(key.ok());
    auto opened = store::open_sqlite_store(so, *key);
    ASSERT_TRUE(opened.ok());
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->upsert_organization(store::Organization{"acme", "Acme", {}, 1}).ok());
    for (const auto& [id, org] : std::vector<std::pair<std::string, std::string>>{
             {"alice", "default"}, {"carol", "acme"}}) {
      store::User u;
      u.id = id;
      u.username = id;
      u.org_id = org;
      ASSERT_TRUE(store_->create_user(u).ok());
    }
    auto model = authz::parse_dsl(bootstrap_read("examples/demo-policy.fga"));
    ASSERT_TRUE(model.ok()) << model.error().message;
    auto engine = authz::Engine::create(*model);
    ASSERT_TRUE(engine.ok());
    policy_ = std::make_shared<policy::PolicyService>(
        "store-default", "default", std::shared_ptr<authz::Engine>(std::move(*engine)));
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::shared_ptr<BootstrapCredential> start() {
    BootstrapOptions o;
    o.operator_org = "default";
    o.data_dir = dir_;
    auto c = BootstrapCredential::start(o, policy_);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return *c;
  }

  std::filesystem::path token_file() const { return dir_ / BootstrapCredential::kTokenFile; }

  http::Response post(BootstrapCredential& c, const std::string& token, const std::string& body,
                      const std::string& type = "application/json",
                      http::bhttp::verb method = http::bhttp::verb::post) {
    http::Request req{method, std::string(kBootstrapPath), 11};
    if (!token.empty()) {
      req.set(http::Field::authorization, "Bearer " + token);
    }
    req.set(http::Field::content_type, type);
    req.body() = body;
    return answer_bootstrap(c, *store_, req);
  }

  bool alice_is_admin() const {
    authz::ReadFilter f{"organization:default", "admin", "user:alice"};
    return !policy_->engine().read(f, 1).empty();
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<policy::PolicyService> policy_;
};

TEST_F(BootstrapTest, MakesTheFirstAdministratorOnceAndIsGoneForGood) {
  auto c = start();
  ASSERT_TRUE(c->active());
  struct stat st {};
  ASSERT_EQ(::stat(token_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::string token = bootstrap_read(token_file());
  ASSERT_FALSE(token.empty());
  token.pop_back();  // the newline
  EXPECT_GE(token.size(), 40U);

  // Refusals first: none of them grants anything or retires the credential.
  EXPECT_EQ(post(*c, "", R"({"user_id":"alice"})").result_int(), 401U);
  EXPECT_EQ(post(*c, token + "x", R"({"user_id":"alice"})").result_int(), 401U);
  EXPECT_EQ(post(*c, token.substr(1), R"({"user_id":"alice"})").result_int(), 401U);
  EXPECT_EQ(post(*c, token, R"({"user_id":"alice"})", "application/json",
                 http::bhttp::verb::get).result_int(), 405U);
  EXPECT_EQ(post(*c, token, R"({"user_id":"alice"})", "text/plain").result_int(), 415U);
  EXPECT_EQ(post(*c, token, std::string(2000, ' ')).result_int(), 413U);
  for (const char* bad : {"{not json", "[]", "{}", R"({"user_id":7})",
                                R"({"user_id":"../x"})", R"({"user_id":"alice","extra":1})"}) {
    EXPECT_EQ(post(*c, token, bad).result_int(), 400U) << bad;
  }
  EXPECT_EQ(post(*c, token, R"({"user_id":"nobody"})").result_int(), 404U);
  EXPECT_EQ(post(*c, token, R"({"user_id":"carol"})").result_int(), 404U);  // another org's
  EXPECT_TRUE(c->active());
  EXPECT_FALSE(alice_is_admin());

  const http::Response ok = post(*c, token, R"({"user_id":"alice"})");
  ASSERT_EQ(ok.result_int(), 200U) << ok.body();
  EXPECT_EQ(nlohmann::json::parse(ok.body())["user_id"], "alice");
  EXPECT_TRUE(alice_is_admin());
  EXPECT_FALSE(c->active());
  EXPECT_FALSE(std::filesystem::exists(token_file()));
  EXPECT_TRUE(std::filesystem::exists(dir_ / BootstrapCredential::kUsedFile));
  // Used up: the same token is refused, and a restart makes no new one, even with no
  // administrator left.
  EXPECT_EQ(post(*c, token, R"({"user_id":"alice"})").result_int(), 401U);
  authz::WriteRequest undo;
  undo.deletes.push_back(authz::TupleRecord{"organization:default", "admin", "user:alice", "", nullptr});
  ASSERT_TRUE(policy_->write_tuples(undo).ok());
  auto again = start();
  EXPECT_FALSE(again->active());
  EXPECT_FALSE(std::filesystem::exists(token_file()));
}

TEST_F(BootstrapTest, NotMadeWhenTheOperatorOrganizationHasAnAdministrator) {
  authz::WriteRequest w;
  w.writes.push_back(authz::TupleRecord{"organization:default", "admin", "user:alice", "", nullptr});
  ASSERT_TRUE(policy_->write_tuples(w).ok());
  std::ofstream(token_file()) << "stale-token\n";  // an earlier start's file
  auto c = start();
  EXPECT_FALSE(c->active());
  EXPECT_FALSE(std::filesystem::exists(token_file()));
  EXPECT_EQ(post(*c, "stale-token", R"({"user_id":"alice"})").result_int(), 401U);
}

TEST_F(BootstrapTest, RefusedOnceAnAdministratorAppearsAnotherWay) {
  auto c = start();
  std::string token = bootstrap_read(token_file());
  token.pop_back();
  // Someone grants the role through the policy API meanwhile.
  authz::WriteRequest w;
  w.writes.push_back(authz::TupleRecord{"organization:default", "admin", "user:bob", "", nullptr});
  ASSERT_TRUE(policy_->write_tuples(w).ok());
  EXPECT_EQ(post(*c, token, R"({"user_id":"alice"})").result_int(), 401U);
  EXPECT_FALSE(alice_is_admin());
  EXPECT_FALSE(c->active());
  EXPECT_FALSE(std::filesystem::exists(token_file()));
}

}  // namespace
}  // namespace mcpgate::admin
