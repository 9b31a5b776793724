// The Store conformance suite, continued: SSO identities (store_suite.hpp), on SQLite and
// PostgreSQL alike.

#include <string>
#include <vector>

#include "store/store_suite.hpp"

namespace mcpgate::store::testing {
namespace {

// The organizations the SSO rows name (users.org_id and sso_identities.org_id refer to them).
void sso_suite_orgs(Store& store) {
  for (const char* id : {"acme", "other"}) {
    ASSERT_TRUE(store.upsert_organization(Organization{id, id, nlohmann::json::object(), kNow}).ok());
  }
}

User sso_suite_user(const std::string& username, const std::string& org = "acme") {
  User u;
  u.id = "usr_" + crypto::random_id();
  u.username = username;
  u.created_at = kNow;
  u.org_id = org;
  return u;
}

SsoIdentity sso_suite_identity(const User& user, const std::string& subject) {
  SsoIdentity id;
  id.org_id = "acme";
  id.issuer = "https://idp.acme.example";
  id.subject = subject;
  id.user_id = user.id;
  id.email = "alice@acme.example";
  id.groups = {"engineering", "on-call \"primary\"", "ünïcode"};
  id.created_at = kNow;
  id.last_login_at = kNow;
  return id;
}

TEST_P(StoreSuite, SsoUserIsCreatedWithItsIdentityAndFoundByIssuerAndSubject) {
  sso_suite_orgs(store());
  const User user = sso_suite_user("alice");
  const SsoIdentity identity = sso_suite_identity(user, "00u1");
  ASSERT_TRUE(store().create_sso_user(user, identity).ok());

  auto found = store().find_sso_identity("acme", "https://idp.acme.example", "00u1");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, identity);
  auto u = store().find_user(user.id);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->username, "alice");
  EXPECT_TRUE(u->password_hash.empty());  // no password sign-in for an SSO user
}

TEST_P(StoreSuite, SsoIdentityKeyIsExactOrgIssuerAndSubject) {
  sso_suite_orgs(store());
  const User user = sso_suite_user("alice");
  ASSERT_TRUE(store().create_sso_user(user, sso_suite_identity(user, "00u1")).ok());
  // Another organization, another issuer, a subject differing in case or by a suffix: none is
  // the same account.
  EXPECT_EQ(store().find_sso_identity("other", "https://idp.acme.example", "00u1").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_sso_identity("acme", "https://idp.acme.example/", "00u1").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_sso_identity("acme", "https://idp.acme.example", "00U1").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_sso_identity("acme", "https://idp.acme.example", "00u").error().code,
            ErrorCode::kNotFound);
}

TEST_P(StoreSuite, SsoUserWithATakenUsernameWritesNothing) {
  sso_suite_orgs(store());
  ASSERT_TRUE(store().create_user(sso_suite_user("alice")).ok());
  const User user = sso_suite_user("Alice");  // same name in the same organization, case-folded
  auto created = store().create_sso_user(user, sso_suite_identity(user, "00u1"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store().find_user(user.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_sso_identity("acme", "https://idp.acme.example", "00u1").error().code,
            ErrorCode::kNotFound);
}

TEST_P(StoreSuite, SsoUsernamesAreUniquePerOrganizationOnly) {
  sso_suite_orgs(store());
  add_user("alice");  // the default organization's alice
  const User user = sso_suite_user("alice");
  ASSERT_TRUE(store().create_sso_user(user, sso_suite_identity(user, "00u1")).ok());
  EXPECT_EQ(store().find_user_by_username("acme", "alice")->id, user.id);
  EXPECT_NE(store().find_user_by_username(kDefaultOrgId, "alice")->id, user.id);
}

TEST_P(StoreSuite, SsoUserNeedsItsOrganization) {
  sso_suite_orgs(store());
  User user = sso_suite_user("alice", "nope");
  SsoIdentity identity = sso_suite_identity(user, "00u1");
  identity.org_id = "nope";
  EXPECT_FALSE(store().create_sso_user(user, identity).ok());
  EXPECT_EQ(store().find_user(user.id).error().code, ErrorCode::kNotFound);
  // The identity's organization must be the user's.
  user = sso_suite_user("alice", "other");
  EXPECT_EQ(store().create_sso_user(user, sso_suite_identity(user, "00u1")).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_P(StoreSuite, SsoIdentityLinkedTwiceIsRefusedAndTheSecondUserRollsBack) {
  sso_suite_orgs(store());
  const User first = sso_suite_user("alice");
  ASSERT_TRUE(store().create_sso_user(first, sso_suite_identity(first, "00u1")).ok());
  const User second = sso_suite_user("alice-2");
  auto again = store().create_sso_user(second, sso_suite_identity(second, "00u1"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store().find_user(second.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_sso_identity("acme", "https://idp.acme.example", "00u1")->user_id,
            first.id);
}

TEST_P(StoreSuite, SsoLoginReplacesEmailAndGroupsOnlyForTheLinkedUser) {
  sso_suite_orgs(store());
  const User user = sso_suite_user("alice");
  SsoIdentity identity = sso_suite_identity(user, "00u1");
  ASSERT_TRUE(store().create_sso_user(user, identity).ok());
  identity.email = "alice.new@acme.example";
  identity.groups = {};
  identity.last_login_at = kNow + 60;
  ASSERT_TRUE(store().record_sso_login(identity).ok());
  auto found = store().find_sso_identity("acme", "https://idp.acme.example", "00u1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->email, "alice.new@acme.example");
  EXPECT_TRUE(found->groups.empty());
  EXPECT_EQ(found->last_login_at, kNow + 60);
  EXPECT_EQ(found->created_at, kNow);

  SsoIdentity someone_else = identity;
  someone_else.user_id = "usr_other";
  EXPECT_EQ(store().record_sso_login(someone_else).error().code, ErrorCode::kNotFound);
  someone_else = identity;
  someone_else.subject = "00u2";
  EXPECT_EQ(store().record_sso_login(someone_else).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, SsoIdentityShapeIsCheckedBeforeAnySql) {
  sso_suite_orgs(store());
  const User user = sso_suite_user("alice");
  SsoIdentity identity = sso_suite_identity(user, "");
  EXPECT_EQ(store().create_sso_user(user, identity).error().code, ErrorCode::kInvalidArgument);
  identity = sso_suite_identity(user, "00u1");
  identity.user_id = "usr_somebody_else";
  EXPECT_EQ(store().create_sso_user(user, identity).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store().find_user(user.id).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, SsoHostileValuesAreStoredAsData) {
  sso_suite_orgs(store());
  const User user = sso_suite_user("robert'); DROP TABLE users;--");
  SsoIdentity identity = sso_suite_identity(user, "sub' OR '1'='1");
  identity.issuer = "https://idp.example/'; --";
  identity.groups = std::vector<std::string>(200, std::string(1000, 'g'));
  ASSERT_TRUE(store().create_sso_user(user, identity).ok());
  auto found = store().find_sso_identity("acme", identity.issuer, identity.subject);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, identity);
  EXPECT_EQ(store().find_sso_identity("acme", identity.issuer, "x' OR '1'='1").error().code,
            ErrorCode::kNotFound);
}

TEST_P(StoreSuite, SsoIdentityGoesWithItsUser) {
  sso_suite_orgs(store());
  const User user = sso_suite_user("alice");
  ASSERT_TRUE(store().create_sso_user(user, sso_suite_identity(user, "00u1")).ok());
  // Disabling keeps the link (re-enabling restores the same account); the sign-in path checks
  // `disabled` itself.
  ASSERT_TRUE(store().set_user_disabled(user.id, true).ok());
  auto found = store().find_sso_identity("acme", "https://idp.acme.example", "00u1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->user_id, user.id);
}

}  // namespace
}  // namespace mcpgate::store::testing
