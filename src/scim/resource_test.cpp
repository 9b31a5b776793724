#include <gtest/gtest.h>

#include "scim/error.hpp"
#include "scim/resource.hpp"
#include "scim/test_support.hpp"

namespace mcpgate::scim {
namespace {

using testing::json;

std::string error_type(const Result<json>& r) {
  return r ? "" : std::string(scim_type_name(scim_type_of(r.error())));
}

TEST(ResourceTest, OktaCreateUserBecomesCanonical) {
  // The shape of Okta's POST /Users (our own values).
  const json input = json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "jane@example.com",
    "name": {"givenName": "Jane", "familyName": "Doe"},
    "emails": [{"primary": true, "value": "jane@example.com", "type": "work"}],
    "displayName": "Jane Doe", "locale": "en-US", "externalId": "00u1abcd", "groups": [], "password": "s3cret!",
    "active": true, "id": "client-chosen", "meta": {"created": "1999-01-01T00:00:00Z"}})");
  auto r = normalize_resource(input, user_resource_type());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->contains("id"));    // readOnly: the server sets it
  EXPECT_FALSE(r->contains("meta"));
  EXPECT_FALSE(r->contains("groups"));
  EXPECT_EQ((*r)["password"], "s3cret!");  // writeOnly: stored (hashing is the store's job), never returned
  EXPECT_EQ((*r)["schemas"], json::array({"urn:ietf:params:scim:schemas:core:2.0:User"}));
}

TEST(ResourceTest, EntraCreateUserWithExtensionAndStringBooleans) {
  const json input = json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "jdoe", "UserName": "jdoe@contoso.example", "active": "True",
    "emails": [{"primary": "true", "type": "work", "value": "jdoe@contoso.example"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales", "manager": "mgr-1"},
    "roles": []})");
  auto r = normalize_resource(input, user_resource_type());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["userName"], "jdoe@contoso.example");
  EXPECT_EQ((*r)["active"], true);
  EXPECT_EQ((*r)["emails"][0]["primary"], true);
  EXPECT_FALSE(r->contains("roles"));
  EXPECT_EQ((*r)["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"],
            json::parse(R"({"value": "mgr-1"})"));
  EXPECT_EQ((*r)["schemas"].size(), 2U);
}

TEST(ResourceTest, Errors) {
  EXPECT_EQ(error_type(normalize_resource(json::parse(R"({"displayName": "x"})"), user_resource_type())),
            "invalidValue");  // userName is required
  EXPECT_EQ(error_type(normalize_resource(json::parse(R"({"userName": "x", "shoeSize": 9})"), user_resource_type())),
            "invalidSyntax");
  EXPECT_EQ(error_type(normalize_resource(json::parse(R"({"userName": 5})"), user_resource_type())), "invalidValue");
  EXPECT_EQ(error_type(normalize_resource(json::parse(R"({"userName": "x", "schemas": ["urn:other"]})"),
                                          user_resource_type())),
            "invalidSyntax");
  EXPECT_EQ(error_type(normalize_resource(json::array(), user_resource_type())), "invalidSyntax");
  EXPECT_EQ(error_type(normalize_resource(json::parse(R"({"displayName": "Admins", "members": [{"value": "u1",
      "display": "ignored"}]})"), group_resource_type())),
            "");
}

TEST(ResourceTest, PutKeepsServerValuesAndChecksImmutables) {
  const json existing = json::parse(R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1",
      "userName": "jane", "password": "hash", "displayName": "Jane", "groups": [{"value": "g1"}],
      "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"}})");
  auto r = replace_resource(existing, json::parse(R"({"userName": "jane2", "id": "u-other", "title": "Boss"})"),
                            user_resource_type());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["id"], "u1");
  EXPECT_EQ((*r)["meta"], existing["meta"]);
  EXPECT_EQ((*r)["groups"], existing["groups"]);
  EXPECT_EQ((*r)["password"], "hash");       // omitted writeOnly: kept
  EXPECT_FALSE(r->contains("displayName"));  // omitted readWrite: gone (PUT replaces)
  EXPECT_EQ((*r)["title"], "Boss");

  // An immutable attribute (a member's value in a custom type would do; here: a group's members
  // are readWrite, so build a type with an immutable attribute).
  Schema schema;
  schema.id = "urn:example:Thing";
  Attribute serial;
  serial.name = "serial";
  serial.mutability = Mutability::kImmutable;
  schema.attributes = {serial};
  ResourceType thing;
  thing.name = "Thing";
  thing.core = &schema;
  const json before = json::parse(R"({"id": "t1", "serial": "A"})");
  EXPECT_EQ(error_type(replace_resource(before, json::parse(R"({"serial": "B"})"), thing)), "mutability");
  EXPECT_EQ(error_type(replace_resource(before, json::parse(R"({})"), thing)), "mutability");
  EXPECT_EQ(error_type(replace_resource(before, json::parse(R"({"serial": "A"})"), thing)), "");
  EXPECT_EQ(error_type(replace_resource(json::parse(R"({"id": "t2"})"), json::parse(R"({"serial": "C"})"), thing)), "");
}

}  // namespace
}  // namespace mcpgate::scim
