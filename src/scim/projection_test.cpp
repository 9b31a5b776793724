#include <gtest/gtest.h>

#include "scim/projection.hpp"
#include "scim/test_support.hpp"

namespace mcpgate::scim {
namespace {

using testing::json;

json project_user(const json& u, std::string_view attributes, std::string_view excluded) {
  auto a = parse_attribute_list(attributes, user_resource_type());
  auto e = parse_attribute_list(excluded, user_resource_type());
  EXPECT_TRUE(a.ok() && e.ok());
  return project(u, user_resource_type(), *a, *e);
}

json sample_user() {
  json u = testing::test_users()[0];
  u["password"] = "t1meMa$heen";
  u["unknownThing"] = 1;
  return u;
}

TEST(ProjectionTest, DefaultsDropNeverAndUnknownAttributes) {
  const json out = project_user(sample_user(), "", "");
  EXPECT_FALSE(out.contains("password"));
  EXPECT_FALSE(out.contains("unknownThing"));
  EXPECT_TRUE(out.contains("emails"));
  EXPECT_TRUE(out.contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
}

TEST(ProjectionTest, AttributesSelectsWithIdAndSchemasAlwaysThere) {
  const json out = project_user(sample_user(), "userName,name.givenName, emails.value", "");
  EXPECT_EQ(out, json::parse(R"({
      "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
      "id": "u1", "userName": "bjensen", "name": {"givenName": "Barbara"},
      "emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]})"));
  EXPECT_EQ(project_user(sample_user(), "password", "").count("password"), 0U);
  EXPECT_EQ(project_user(sample_user(), "ID", ""), json::parse(R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "id": "u1"})"));
}

TEST(ProjectionTest, ExtensionsByUrnOrByAttribute) {
  json out = project_user(sample_user(), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "");
  EXPECT_EQ(out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].size(), 4U);
  out = project_user(sample_user(), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "");
  EXPECT_EQ(out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            json::parse(R"({"manager": {"value": "u3"}})"));
  out = project_user(sample_user(), "", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_FALSE(out.contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
}

TEST(ProjectionTest, ExcludedAttributesKeepsAlways) {
  const json out = project_user(sample_user(), "", "emails,id,name.formatted,meta");
  EXPECT_FALSE(out.contains("emails"));
  EXPECT_FALSE(out.contains("meta"));
  EXPECT_TRUE(out.contains("id"));  // returned: always
  EXPECT_EQ(out["name"], json::parse(R"({"familyName": "Jensen", "givenName": "Barbara"})"));
}

TEST(ProjectionTest, GroupsWithoutMembers) {
  const json g = json::parse(R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1",
      "displayName": "Admins", "members": [{"value": "u1"}]})");
  auto excluded = parse_attribute_list("members", group_resource_type());
  ASSERT_TRUE(excluded.ok());
  const json out = project(g, group_resource_type(), {}, *excluded);
  EXPECT_EQ(out, json::parse(R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g1",
      "displayName": "Admins"})"));
}

TEST(ProjectionTest, AttributeListsSkipUnknownNamesAndRefuseMalformedOnes) {
  auto list = parse_attribute_list("nosuch,userName,,", user_resource_type());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1U);
  EXPECT_FALSE(parse_attribute_list("user name", user_resource_type()).ok());
  EXPECT_FALSE(parse_attribute_list("emails[type eq \"work\"]", user_resource_type()).ok());
}

}  // namespace
}  // namespace mcpgate::scim
