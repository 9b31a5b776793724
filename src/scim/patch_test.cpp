#include <gtest/gtest.h>

#include "scim/error.hpp"
#include "scim/patch.hpp"
#include "scim/test_support.hpp"

namespace mcpgate::scim {
namespace {

using testing::json;

json patch_body(const json& operations) {
  return {{"schemas", {"urn:ietf:params:scim:api:messages:2.0:PatchOp"}}, {"Operations", operations}};
}

json user() {
  return json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "2819c223-7f76-453a-919d-413861904646", "externalId": "okta-1", "userName": "bjensen@example.com",
    "active": true, "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
               {"value": "babs@home.example", "type": "home"}],
    "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:00Z"}
  })");
}

json group() {
  return json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "id": "g1", "displayName": "Tour Guides",
    "members": [{"value": "2819c223-7f76-453a-919d-413861904646", "type": "User"},
                {"value": "902c246b-6245-4190-8e05-00816be7344a", "type": "User"}]
  })");
}

// Applies the operations; returns the error's scimType name ("" on success).
std::string run_patch(json& resource, const json& operations, const ResourceType& type = user_resource_type(),
                  const PatchOptions& options = {}) {
  auto r = apply_patch(resource, patch_body(operations), type, options);
  return r ? "" : std::string(scim_type_name(scim_type_of(r.error()))) + ": " + r.error().message;
}

TEST(PatchTest, OktaDeactivatesWithoutAPath) {
  json u = user();
  const json ops = json::parse(R"([{"op": "replace", "value": {"active": false}}])");
  auto r = apply_patch(u, patch_body(ops), user_resource_type());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(u["active"], false);
  // Again: nothing changes.
  r = apply_patch(u, patch_body(ops), user_resource_type());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->changed);
}

TEST(PatchTest, OktaProfileUpdateWithoutPath) {
  json u = user();
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace", "value": {
      "userName": "barbara@example.com", "name": {"givenName": "Babs"},
      "emails": [{"value": "barbara@example.com", "type": "work", "primary": true}]}}])")),
            "");
  EXPECT_EQ(u["userName"], "barbara@example.com");
  EXPECT_EQ(u["name"], json::parse(R"({"givenName": "Babs", "familyName": "Jensen"})"));  // merged
  EXPECT_EQ(u["emails"].size(), 1U);  // a multi-valued replace replaces
}

TEST(PatchTest, EntraCapitalisedOpsAndStringBooleans) {
  json u = user();
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "Replace", "path": "active", "value": "False"}])")), "");
  EXPECT_EQ(u["active"], false);
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "REPLACE", "path": "active", "value": "true"}])")), "");
  EXPECT_EQ(u["active"], true);
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "Add", "path": "displayName", "value": "Babs"}])")), "");
  EXPECT_EQ(u["displayName"], "Babs");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "Replace", "path": "active", "value": "yes"}])")).substr(0, 12),
            "invalidValue");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "Update", "path": "active", "value": true}])")).substr(0, 13),
            "invalidSyntax");
}

TEST(PatchTest, EntraFilteredEmailPaths) {
  json u = user();
  // Add where replace is meant: the work email's value changes, no second work email appears.
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "Add", "path": "emails[type eq \"work\"].value",
                                     "value": "barbara@example.com"}])")),
            "");
  ASSERT_EQ(u["emails"].size(), 2U);
  EXPECT_EQ(u["emails"][0]["value"], "barbara@example.com");
  EXPECT_EQ(u["emails"][0]["type"], "work");
  // No "other" email yet: created from the filter.
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "Replace", "path": "emails[type eq \"other\"].value",
                                     "value": "b@other.example"}])")),
            "");
  ASSERT_EQ(u["emails"].size(), 3U);
  EXPECT_EQ(u["emails"][2], json::parse(R"({"type": "other", "value": "b@other.example"})"));
  // Primary moves when another value claims it.
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}])")),
            "");
  EXPECT_EQ(u["emails"][0]["primary"], false);
  EXPECT_EQ(u["emails"][1]["primary"], true);
  // Remove the home email's sub-attribute, then the home email itself.
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "remove", "path": "emails[type eq \"home\"].primary"}])")), "");
  EXPECT_FALSE(u["emails"][1].contains("primary"));
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "remove", "path": "emails[type eq \"home\"]"}])")), "");
  EXPECT_EQ(u["emails"].size(), 2U);
}

TEST(PatchTest, EntraUserUpdateInOneRequest) {
  // The shape Entra ID sends when several mapped attributes change at once (our own values).
  json u = user();
  const json body = json::parse(R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
      {"op": "Replace", "path": "displayName", "value": "Jane Doe"},
      {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "jane@contoso.example"},
      {"op": "Replace", "path": "name.givenName", "value": "Jane"},
      {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "mgr-7"},
      {"op": "Replace", "path": "externalId", "value": "jane.doe"},
      {"op": "Replace", "path": "active", "value": "False"}]})");
  auto r = apply_patch(u, body, user_resource_type());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(u["displayName"], "Jane Doe");
  EXPECT_EQ(u["emails"][0], json::parse(R"({"value": "jane@contoso.example", "type": "work", "primary": true})"));
  EXPECT_EQ(u["name"]["givenName"], "Jane");
  EXPECT_EQ(u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"], "mgr-7");
  EXPECT_EQ(u["externalId"], "jane.doe");
  EXPECT_EQ(u["active"], false);
  // Then the membership check Entra makes, and the soft delete is visible to a filter.
  auto f = compile_filter(R"(userName eq "bjensen@example.com" and active eq false)", user_resource_type());
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(matches(*f, u));
}

TEST(PatchTest, EntraEnterpriseAttributesAndManager) {
  json u = user();
  EXPECT_EQ(run_patch(u, json::parse(R"([
      {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
      {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-1"},
      {"op": "Add", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
                              "name.familyName": "Jensen-Smith"}}])")),
            "");
  const json& ext = u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
  EXPECT_EQ(ext["department"], "Sales");
  EXPECT_EQ(ext["manager"], json::parse(R"({"value": "m-1"})"));
  EXPECT_EQ(ext["employeeNumber"], "42");
  EXPECT_EQ(u["name"]["familyName"], "Jensen-Smith");
  EXPECT_EQ(u["schemas"].size(), 2U);
  EXPECT_EQ(u["schemas"][1], "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  // The extension as an object, then removed whole.
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace",
      "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "value": {"costCenter": "9"}}])")),
            "");
  EXPECT_EQ(u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["costCenter"], "9");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "remove",
      "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}])")),
            "");
  EXPECT_FALSE(u.contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
  EXPECT_EQ(u["schemas"].size(), 1U);
}

TEST(PatchTest, GroupMembersAddRemoveWithoutDuplicates) {
  json g = group();
  // Entra: Add members; one of them is already there.
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "Add", "path": "members", "value": [
      {"value": "902c246b-6245-4190-8e05-00816be7344a"}, {"value": "u-new", "display": "New"}]}])"),
                  group_resource_type()),
            "");
  ASSERT_EQ(g["members"].size(), 3U);
  EXPECT_EQ(g["members"][2], json::parse(R"({"value": "u-new"})"));  // display is readOnly: dropped
  // Entra: Remove by value filter.
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "Remove",
      "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}])"),
                  group_resource_type()),
            "");
  ASSERT_EQ(g["members"].size(), 2U);
  EXPECT_EQ(g["members"][0]["value"], "902c246b-6245-4190-8e05-00816be7344a");
  // Removing someone who is not a member is a no-op (and noTarget when strict).
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "remove", "path": "members[value eq \"nobody\"]"}])"), group_resource_type()),
            "");
  PatchOptions strict;
  strict.strict_remove = true;
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "remove", "path": "members[value eq \"nobody\"]"}])"), group_resource_type(),
                  strict)
                .substr(0, 8),
            "noTarget");
  // Okta-style remove with a value list.
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "remove", "path": "members", "value": [{"value": "u-new"}]}])"),
                  group_resource_type()),
            "");
  ASSERT_EQ(g["members"].size(), 1U);
  // Replace all members; then remove them all.
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "replace", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}])"),
                  group_resource_type()),
            "");
  EXPECT_EQ(g["members"].size(), 2U);
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "remove", "path": "members"}])"), group_resource_type()), "");
  EXPECT_FALSE(g.contains("members"));
  // Okta renames the group without a path.
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "replace", "value": {"id": "g1", "displayName": "Guides"}}])"),
                  group_resource_type()),
            "");
  EXPECT_EQ(g["displayName"], "Guides");
}

TEST(PatchTest, MutabilityErrors) {
  json u = user();
  const json before = u;
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace", "path": "id", "value": "other"}])")).substr(0, 10), "mutability");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace", "value": {"id": "other"}}])")).substr(0, 10), "mutability");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "remove", "path": "id"}])")).substr(0, 10), "mutability");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "remove", "path": "userName"}])")).substr(0, 10), "mutability");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace", "path": "userName", "value": null}])")).substr(0, 10),
            "mutability");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "add", "path": "meta.lastModified", "value": "2030-01-01T00:00:00Z"}])"))
                .substr(0, 10),
            "mutability");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "add", "path": "groups", "value": [{"value": "g1"}]}])")).substr(0, 10),
            "mutability");
  EXPECT_EQ(u, before);
  // The same id again is not a change.
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace", "value": {"id": "2819c223-7f76-453a-919d-413861904646"}}])")), "");

  json g = group();
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "replace",
      "path": "members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"].value", "value": "someone-else"}])"),
                  group_resource_type())
                .substr(0, 10),
            "mutability");
}

TEST(PatchTest, AllOrNothing) {
  json u = user();
  const json before = u;
  EXPECT_NE(run_patch(u, json::parse(R"([{"op": "replace", "path": "displayName", "value": "Changed"},
                                     {"op": "replace", "path": "nosuch", "value": 1}])")),
            "");
  EXPECT_EQ(u, before);
}

TEST(PatchTest, ErrorTypes) {
  json u = user();
  const auto type_of = [&](const char* ops) {
    const std::string e = run_patch(u, json::parse(ops));
    return e.substr(0, e.find(':'));
  };
  EXPECT_EQ(type_of(R"([{"op": "remove"}])"), "noTarget");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "nosuch", "value": 1}])"), "invalidPath");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "name.nosuch", "value": "x"}])"), "invalidPath");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "emails[type eq", "value": "x"}])"), "invalidPath");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "emails[nosuch eq \"x\"]", "value": "x"}])"), "invalidPath");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "userName[value eq \"x\"]", "value": "x"}])"), "invalidPath");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": 7, "value": "x"}])"), "invalidPath");
  EXPECT_EQ(type_of(R"([{"op": "replace", "value": {"nosuch": 1}}])"), "invalidPath");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "emails[type eq \"work\" or type eq \"x\"].display", "value": "x"}])"),
            "");  // selects the work email
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "emails[type eq \"nope\" or type eq \"x\"].display", "value": "x"}])"),
            "noTarget");  // nothing selected, and an or-filter can not describe a new value
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "emails[type eq \"nope\"]", "value": {"value": "x"}}])"), "noTarget");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "userName", "value": 5}])"), "invalidValue");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "userName", "value": ["a"]}])"), "invalidValue");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "emails", "value": [{"value": "a", "nosuch": 1}]}])"),
            "invalidValue");
  EXPECT_EQ(type_of(R"([{"op": "replace", "path": "name", "value": [1]}])"), "invalidValue");
  EXPECT_EQ(type_of(R"([{"op": "add", "path": "title"}])"), "invalidValue");
  EXPECT_EQ(type_of(R"([{"op": "add", "value": "not an object"}])"), "invalidValue");
  EXPECT_EQ(type_of(R"([{"path": "title", "value": "x"}])"), "invalidSyntax");
  EXPECT_EQ(type_of(R"(["not an object"])"), "invalidSyntax");

  auto r = apply_patch(u, json::parse(R"({"Operations": [{"op": "add", "path": "title", "value": "x"}]})"),
                       user_resource_type());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(scim_type_of(r.error()), ScimType::kInvalidSyntax);
  PatchOptions lax;
  lax.require_patch_schema = false;
  r = apply_patch(u, json::parse(R"({"operations": [{"op": "add", "path": "title", "value": "x"}]})"),
                  user_resource_type(), lax);
  EXPECT_TRUE(r.ok());
  r = apply_patch(u, patch_body(json::array()), user_resource_type());
  EXPECT_FALSE(r.ok());
  PatchOptions few;
  few.max_operations = 2;
  r = apply_patch(u, patch_body(json::parse(R"([{"op":"add","path":"title","value":"a"},
      {"op":"add","path":"title","value":"b"},{"op":"add","path":"title","value":"c"}])")),
                  user_resource_type(), few);
  EXPECT_FALSE(r.ok());
}

TEST(PatchTest, Rfc7644Examples) {
  json g = group();
  // §3.5.2.1: add a member.
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "add", "path": "members", "value": [
      {"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223", "value": "2819c223"}]}])"),
                  group_resource_type()),
            "");
  EXPECT_EQ(g["members"].back(), json::parse(R"({"$ref": "https://example.com/v2/Users/2819c223", "value": "2819c223"})"));
  // §3.5.2.2: remove all members; remove one by filter with a compound filter.
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "remove", "path": "members[value eq \"2819c223\" or value eq \"none\"]"}])"),
                  group_resource_type()),
            "");
  EXPECT_EQ(g["members"].size(), 2U);
  // §3.5.2.3: replace all members with a list.
  EXPECT_EQ(run_patch(g, json::parse(R"([{"op": "replace", "path": "members", "value": [{"value": "x1"}]}])"),
                  group_resource_type()),
            "");
  EXPECT_EQ(g["members"], json::parse(R"([{"value": "x1"}])"));

  json u = user();
  // §3.5.2.3: replace a work address's street with a filter, and a whole work email value object.
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "add", "path": "addresses", "value": [
      {"type": "work", "streetAddress": "911 Universal City Plaza", "primary": true}]},
      {"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"},
      {"op": "replace", "path": "emails[type eq \"work\"]", "value": {"type": "work", "value": "new@example.com"}}])")),
            "");
  EXPECT_EQ(u["addresses"][0]["streetAddress"], "1010 Broadway Ave");
  EXPECT_EQ(u["emails"][0], json::parse(R"({"type": "work", "value": "new@example.com"})"));
}

TEST(PatchTest, NullValuesUnassign) {
  json u = user();
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace", "value": {"displayName": null, "name": {"givenName": null}}}])")),
            "");
  EXPECT_FALSE(u.contains("displayName"));
  EXPECT_EQ(u["name"], json::parse(R"({"familyName": "Jensen"})"));
}

TEST(PatchTest, CaseInsensitiveNamesKeepCanonicalSpelling) {
  json u = user();
  u["DisplayName"] = "Old";
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace", "path": "DISPLAYNAME", "value": "New"}])")), "");
  EXPECT_FALSE(u.contains("DisplayName"));
  EXPECT_EQ(u["displayName"], "New");
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "add", "path": "EMAILS", "value": {"VALUE": "x@y.example", "Type": "other"}}])")),
            "");
  EXPECT_EQ(u["emails"].back(), json::parse(R"({"value": "x@y.example", "type": "other"})"));
  // The same value in another case is the same value (caseExact false): no duplicate.
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "add", "path": "emails", "value": [{"value": "X@Y.EXAMPLE"}]}])")), "");
  EXPECT_EQ(u["emails"].size(), 3U);
}

TEST(PatchTest, HostileInput) {
  json u = user();
  // An injection attempt is just a value.
  EXPECT_EQ(run_patch(u, json::parse(R"([{"op": "replace", "path": "displayName", "value": "x'); DROP TABLE users; --"}])")),
            "");
  // Deep and long paths are refused cleanly.
  std::string deep = "emails[";
  for (int i = 0; i < 10000; ++i) {
    deep += "(";
  }
  EXPECT_EQ(run_patch(u, json{{{"op", "remove"}, {"path", deep}}}).substr(0, 11), "invalidPath");
  EXPECT_EQ(run_patch(u, json{{{"op", "remove"}, {"path", std::string(100000, 'a')}}}).substr(0, 11), "invalidPath");
  EXPECT_FALSE(apply_patch(u, json::array(), user_resource_type()).ok());
  json not_object = json::array();
  EXPECT_FALSE(apply_patch(not_object, patch_body(json::parse(R"([{"op":"add","path":"title","value":"x"}])")),
                           user_resource_type())
                   .ok());
}

TEST(NormalizeTest, CanonicalValues) {
  const Attribute* emails = user_schema().find("emails");
  auto v = normalize_attribute_value(*emails, json::parse(R"({"Value": "a@b", "PRIMARY": "True"})"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, json::parse(R"([{"value": "a@b", "primary": true}])"));
  const Attribute* created = common_schema().find("meta")->find_sub("created");
  EXPECT_FALSE(normalize_attribute_value(*created, "yesterday").ok());
  EXPECT_TRUE(normalize_attribute_value(*created, "2024-01-01T00:00:00Z").ok());
}

}  // namespace
}  // namespace mcpgate::scim
