// The Store conformance suite, continued: SCIM directories, users, groups and the membership
// tuples written with them (store_suite.hpp). Runs on SQLite and PostgreSQL.

#include <algorithm>
#include <string>
#include <vector>

#include "scim/filter.hpp"
#include "scim/schema.hpp"
#include "store/store_suite.hpp"

namespace mcpgate::store::testing {
namespace {

constexpr const char* kPolicyStore = "01SCIMTESTSTORE000000000000";

ScimResource scim_user(const std::string& org, const std::string& name, bool active = true) {
  ScimResource u;
  u.id = "usr_" + crypto::random_id();
  u.org_id = org;
  u.name = name;
  u.external_id = "ext-" + name;
  u.active = active;
  u.resource = {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:User"}},
                {"id", u.id},
                {"userName", name},
                {"externalId", u.external_id},
                {"active", active},
                {"emails", {{{"value", name + "@example.com"}, {"type", "work"}}}},
                {"meta", {{"resourceType", "User"}, {"version", "W/\"1\""}}}};
  u.created_at = kNow;
  u.last_modified = kNow;
  return u;
}

ScimResource scim_group(const std::string& org, const std::string& name,
                        const std::vector<std::string>& members) {
  ScimResource g;
  g.id = "grp_" + crypto::random_id();
  g.org_id = org;
  g.name = name;
  g.resource = {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                {"id", g.id},
                {"displayName", name},
                {"meta", {{"resourceType", "Group"}, {"version", "W/\"1\""}}}};
  for (const auto& m : members) {
    g.members.push_back(ScimMember{m, ""});
  }
  g.created_at = kNow;
  g.last_modified = kNow;
  return g;
}

// The organizations the tests provision into (SCIM rows reference them).
void add_orgs(Store& store) {
  for (const char* id : {"acme", "globex"}) {
    ASSERT_TRUE(store.upsert_organization(Organization{id, id, {}, kNow}).ok());
  }
}

ScimTupleTarget tuples_at(Timestamp now = kNow) { return ScimTupleTarget{kPolicyStore, now}; }

std::vector<std::string> member_tuples(Store& store) {
  auto snapshot = store.load_all_tuples(kPolicyStore);
  EXPECT_TRUE(snapshot.ok());
  std::vector<std::string> out;
  for (const auto& t : snapshot->tuples) {
    out.push_back(t.tuple.object + "#" + t.tuple.relation + "@" + t.tuple.user);
  }
  return out;
}

std::string member_tuple(const ScimResource& g, const ScimResource& u) {
  return "group:" + g.id + "#member@user:" + u.id;
}

TEST_P(StoreSuite, ScimDirectoriesAreFoundByTokenHashAndRevoked) {
  add_orgs(store());
  ScimDirectory d{"dir-1", "acme", "Okta", hash_secret("token-1"), kNow, std::nullopt};
  ASSERT_TRUE(store().create_scim_directory(d).ok());
  ScimDirectory other{"dir-2", "globex", "Entra", hash_secret("token-2"), kNow, std::nullopt};
  ASSERT_TRUE(store().create_scim_directory(other).ok());
  EXPECT_EQ(store().create_scim_directory(d).error().code, ErrorCode::kAlreadyExists);
  ScimDirectory short_hash = d;
  short_hash.id = "dir-3";
  short_hash.token_hash = "short";
  EXPECT_EQ(store().create_scim_directory(short_hash).error().code, ErrorCode::kInvalidArgument);
  ScimDirectory no_org{"dir-4", "initech", "X", hash_secret("token-4"), kNow, std::nullopt};
  EXPECT_EQ(store().create_scim_directory(no_org).error().code, ErrorCode::kFailedPrecondition);

  auto found = store().find_scim_directory_by_token(hash_secret("token-1"));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, "dir-1");
  EXPECT_EQ(found->org_id, "acme");
  EXPECT_EQ(found->token_hash, hash_secret("token-1"));
  EXPECT_FALSE(found->revoked_at.has_value());
  EXPECT_EQ(store().find_scim_directory_by_token(hash_secret("nope")).error().code,
            ErrorCode::kNotFound);

  auto acme = store().list_scim_directories("acme");
  ASSERT_TRUE(acme.ok());
  ASSERT_EQ(acme->size(), 1u);
  EXPECT_EQ(store().list_scim_directories("")->size(), 2u);

  ASSERT_TRUE(store().revoke_scim_directory("dir-1", kNow + 5).ok());
  ASSERT_TRUE(store().revoke_scim_directory("dir-1", kNow + 9).ok());  // keeps the first time
  EXPECT_EQ(store().find_scim_directory_by_token(hash_secret("token-1"))->revoked_at, kNow + 5);
  EXPECT_EQ(store().revoke_scim_directory("dir-9", kNow).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreSuite, ScimUserIsAGateUserAndItsNameIsUniquePerOrgIgnoringCase) {
  add_orgs(store());
  ScimResource u = scim_user("acme", "Alice@Example.com", false);
  ASSERT_TRUE(store().create_scim_user(u, "").ok());
  auto gate = store().find_user(u.id);
  ASSERT_TRUE(gate.ok());
  EXPECT_EQ(gate->username, "Alice@Example.com");
  EXPECT_TRUE(gate->disabled);
  EXPECT_EQ(gate->password_hash, "");

  ScimResource same_name = scim_user("acme", "alice@example.COM");
  EXPECT_EQ(store().create_scim_user(same_name, "").error().code, ErrorCode::kAlreadyExists);
  // Nothing of the refused user was written.
  EXPECT_EQ(store().find_user(same_name.id).error().code, ErrorCode::kNotFound);
  // The gate user belongs to the organization: found by name there, not elsewhere.
  EXPECT_EQ(store().find_user_by_username("acme", "alice@example.com")->id, u.id);
  EXPECT_EQ(gate->org_id, "acme");
  EXPECT_EQ(store().find_user_by_username("globex", "alice@example.com").error().code,
            ErrorCode::kNotFound);
  // Another organization may have its own Alice.
  EXPECT_TRUE(store().create_scim_user(scim_user("globex", "ALICE@example.com"), "").ok());

  auto found = store().find_scim_resource(ScimKind::kUser, "acme", u.id);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->name, "Alice@Example.com");
  EXPECT_EQ(found->external_id, "ext-Alice@Example.com");
  EXPECT_FALSE(found->active);
  EXPECT_EQ(found->version, 1);
  EXPECT_EQ(found->resource["emails"][0]["value"], "Alice@Example.com@example.com");
  // Another organization's id is not found.
  EXPECT_EQ(store().find_scim_resource(ScimKind::kUser, "globex", u.id).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store().find_scim_resource(ScimKind::kGroup, "acme", u.id).error().code,
            ErrorCode::kNotFound);
}

TEST_P(StoreSuite, ScimUserReplaceChecksTheVersionAndUpdatesTheGateUser) {
  add_orgs(store());
  ScimResource u = scim_user("acme", "bob");
  ASSERT_TRUE(store().create_scim_user(u, "").ok());
  u.name = "Robert";
  u.active = false;
  u.last_modified = kNow + 10;
  auto v2 = store().replace_scim_user(u, 1, std::string("$argon2id$hash"));
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  EXPECT_EQ(*v2, 2);
  auto gate = store().find_user(u.id);
  EXPECT_EQ(gate->username, "Robert");
  EXPECT_TRUE(gate->disabled);
  EXPECT_EQ(gate->password_hash, "$argon2id$hash");
  auto found = store().find_scim_resource(ScimKind::kUser, "acme", u.id);
  EXPECT_EQ(found->version, 2);
  EXPECT_EQ(found->resource["meta"]["version"], "W/\"2\"");
  EXPECT_EQ(found->last_modified, kNow + 10);

  // A stale version, another organization, a taken name.
  EXPECT_EQ(store().replace_scim_user(u, 1, std::nullopt).error().code,
            ErrorCode::kFailedPrecondition);
  ScimResource elsewhere = u;
  elsewhere.org_id = "globex";
  EXPECT_EQ(store().replace_scim_user(elsewhere, 0, std::nullopt).error().code,
            ErrorCode::kNotFound);
  ScimResource carol = scim_user("acme", "carol");
  ASSERT_TRUE(store().create_scim_user(carol, "").ok());
  carol.name = "ROBERT";
  EXPECT_EQ(store().replace_scim_user(carol, 0, std::nullopt).error().code,
            ErrorCode::kAlreadyExists);
  // Reactivation: the password stays when none is given.
  u.active = true;
  ASSERT_TRUE(store().replace_scim_user(u, 0, std::nullopt).ok());
  EXPECT_FALSE(store().find_user(u.id)->disabled);
  EXPECT_EQ(store().find_user(u.id)->password_hash, "$argon2id$hash");
}

TEST_P(StoreSuite, ScimGroupMembershipsAreTuplesWrittenInTheSameTransaction) {
  add_orgs(store());
  ScimResource a = scim_user("acme", "a");
  ScimResource b = scim_user("acme", "b");
  ASSERT_TRUE(store().create_scim_user(a, "").ok());
  ASSERT_TRUE(store().create_scim_user(b, "").ok());
  ScimResource g = scim_group("acme", "Engineering", {a.id});
  ASSERT_TRUE(store().create_scim_group(g, tuples_at()).ok());
  EXPECT_EQ(member_tuples(store()), std::vector<std::string>{member_tuple(g, a)});

  // Replace the member set: b in, a out, as one revision.
  auto before = store().load_all_tuples(kPolicyStore)->revision;
  g.members = {ScimMember{b.id, ""}};
  ASSERT_TRUE(store().replace_scim_group(g, 1, tuples_at(kNow + 1)).ok());
  EXPECT_EQ(member_tuples(store()), std::vector<std::string>{member_tuple(g, b)});
  auto changes = store().tuple_changes_since(kPolicyStore, before, 100);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].revision, before + 1);
  EXPECT_EQ((*changes)[1].revision, before + 1);
  auto found = store().find_scim_resource(ScimKind::kGroup, "acme", g.id);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->members.size(), 1u);
  EXPECT_EQ(found->members[0].user_id, b.id);
  EXPECT_EQ(found->members[0].user_name, "b");

  // No change, no revision.
  const auto rev = store().load_all_tuples(kPolicyStore)->revision;
  ASSERT_TRUE(store().replace_scim_group(g, 0, tuples_at()).ok());
  EXPECT_EQ(store().load_all_tuples(kPolicyStore)->revision, rev);

  // A member of another organization (or no user at all) is refused, and nothing changes.
  ScimResource outsider = scim_user("globex", "x");
  ASSERT_TRUE(store().create_scim_user(outsider, "").ok());
  g.members = {ScimMember{b.id, ""}, ScimMember{outsider.id, ""}};
  EXPECT_EQ(store().replace_scim_group(g, 0, tuples_at()).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(member_tuples(store()), std::vector<std::string>{member_tuple(g, b)});
  EXPECT_EQ(store().find_scim_resource(ScimKind::kGroup, "acme", g.id)->version, 3);

  // Names are unique per organization ignoring case; another organization may reuse one.
  EXPECT_EQ(store().create_scim_group(scim_group("acme", "ENGINEERING", {}), tuples_at())
                .error()
                .code,
            ErrorCode::kAlreadyExists);
  EXPECT_TRUE(store().create_scim_group(scim_group("globex", "Engineering", {}), tuples_at()).ok());

  // Deleting the group deletes its tuples.
  EXPECT_EQ(store().delete_scim_group("globex", g.id, tuples_at()).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(store().delete_scim_group("acme", g.id, tuples_at()).ok());
  EXPECT_TRUE(member_tuples(store()).empty());
  EXPECT_EQ(store().find_scim_resource(ScimKind::kGroup, "acme", g.id).error().code,
            ErrorCode::kNotFound);
}

TEST_P(StoreSuite, ScimUserDeleteRemovesMembershipsTuplesAndTheGateUser) {
  add_orgs(store());
  ScimResource a = scim_user("acme", "a");
  ScimResource b = scim_user("acme", "b");
  ASSERT_TRUE(store().create_scim_user(a, "").ok());
  ASSERT_TRUE(store().create_scim_user(b, "").ok());
  ScimResource g = scim_group("acme", "Ops", {a.id, b.id});
  ASSERT_TRUE(store().create_scim_group(g, tuples_at()).ok());
  EXPECT_EQ(member_tuples(store()).size(), 2u);

  EXPECT_EQ(store().delete_scim_user("globex", a.id, tuples_at()).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(store().delete_scim_user("acme", a.id, tuples_at()).ok());
  EXPECT_EQ(member_tuples(store()), std::vector<std::string>{member_tuple(g, b)});
  EXPECT_EQ(store().find_user(a.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().find_scim_resource(ScimKind::kGroup, "acme", g.id)->members.size(), 1u);
  // The name is free again.
  EXPECT_TRUE(store().create_scim_user(scim_user("acme", "A"), "").ok());
}

TEST_P(StoreSuite, ScimListFiltersPagesAndStaysInTheOrganization) {
  add_orgs(store());
  std::vector<ScimResource> users;
  for (int i = 0; i < 7; ++i) {
    users.push_back(scim_user("acme", "user" + std::to_string(i), i % 2 == 0));
    ASSERT_TRUE(store().create_scim_user(users.back(), "").ok());
  }
  ASSERT_TRUE(store().create_scim_user(scim_user("globex", "user1"), "").ok());

  const auto list = [&](const std::string& org, const std::string& filter, std::int64_t offset,
                        std::int64_t limit) {
    ScimListQuery q;
    q.org_id = org;
    std::optional<scim::Filter> compiled;
    if (!filter.empty()) {
      auto f = scim::compile_filter(filter, scim::user_resource_type());
      EXPECT_TRUE(f.ok()) << filter;
      compiled = std::move(f).value();
      q.filter = &*compiled;
    }
    q.offset = offset;
    q.limit = limit;
    auto page = store().list_scim_resources(q);
    EXPECT_TRUE(page.ok()) << filter << ": " << (page.ok() ? "" : page.error().message);
    return page.ok() ? std::move(page).value() : ScimPage{};
  };

  auto all = list("acme", "", 0, 100);
  EXPECT_EQ(all.total, 7);
  EXPECT_EQ(all.resources.size(), 7u);
  EXPECT_TRUE(std::is_sorted(all.resources.begin(), all.resources.end(),
                             [](const auto& x, const auto& y) { return x.id < y.id; }));
  auto page = list("acme", "", 5, 3);
  EXPECT_EQ(page.total, 7);
  EXPECT_EQ(page.resources.size(), 2u);
  EXPECT_EQ(list("acme", "", 0, 0).resources.size(), 0u);
  EXPECT_EQ(list("acme", "", 0, 0).total, 7);

  auto one = list("acme", R"(userName eq "USER3")", 0, 100);
  ASSERT_EQ(one.total, 1);
  EXPECT_EQ(one.resources[0].name, "user3");
  EXPECT_EQ(list("acme", R"(externalId eq "ext-user4")", 0, 100).total, 1);
  EXPECT_EQ(list("acme", R"(active eq false)", 0, 100).total, 3);
  EXPECT_EQ(list("acme", R"(emails[type eq "work" and value co "user5@"])", 0, 100).total, 1);
  EXPECT_EQ(list("acme", R"(userName sw "user" and not (active eq true))", 0, 100).total, 3);
  // A hostile literal is a value, not SQL.
  EXPECT_EQ(list("acme", R"(userName eq "x' OR '1'='1")", 0, 100).total, 0);
  // The other organization's user1 is not listed here, and acme's are not listed there.
  EXPECT_EQ(list("globex", "", 0, 100).total, 1);
  EXPECT_EQ(list("nobody", R"(userName eq "user1")", 0, 100).total, 0);
}

TEST_P(StoreSuite, ScimGroupListFiltersByMember) {
  add_orgs(store());
  ScimResource a = scim_user("acme", "a");
  ScimResource b = scim_user("acme", "b");
  ASSERT_TRUE(store().create_scim_user(a, "").ok());
  ASSERT_TRUE(store().create_scim_user(b, "").ok());
  ScimResource g1 = scim_group("acme", "One", {a.id});
  ScimResource g2 = scim_group("acme", "Two", {a.id, b.id});
  ASSERT_TRUE(store().create_scim_group(g1, tuples_at()).ok());
  ASSERT_TRUE(store().create_scim_group(g2, tuples_at()).ok());
  const auto count = [&](const std::string& text) {
    auto f = scim::compile_filter(text, scim::group_resource_type());
    EXPECT_TRUE(f.ok()) << text;
    ScimListQuery q;
    q.org_id = "acme";
    q.kind = ScimKind::kGroup;
    q.filter = &*f;
    auto page = store().list_scim_resources(q);
    EXPECT_TRUE(page.ok()) << text << ": " << (page.ok() ? "" : page.error().message);
    return page.ok() ? page->total : -1;
  };
  EXPECT_EQ(count("members eq \"" + b.id + "\""), 1);
  EXPECT_EQ(count("members.value eq \"" + a.id + "\""), 2);
  EXPECT_EQ(count("id eq \"" + g1.id + "\" and members eq \"" + b.id + "\""), 0);
  EXPECT_EQ(count(R"(displayName eq "two")"), 1);
}

}  // namespace
}  // namespace mcpgate::store::testing
