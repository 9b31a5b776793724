#include <gtest/gtest.h>

#include "scim/error.hpp"
#include "scim/path.hpp"
#include "scim/schema.hpp"

namespace mcpgate::scim {
namespace {

TEST(SchemaTest, CoreAttributesHaveTheirRfcCharacteristics) {
  const Attribute* user_name = user_schema().find("USERNAME");
  ASSERT_NE(user_name, nullptr);
  EXPECT_TRUE(user_name->required);
  EXPECT_FALSE(user_name->case_exact);
  EXPECT_EQ(user_name->uniqueness, Uniqueness::kServer);
  const Attribute* password = user_schema().find("password");
  EXPECT_EQ(password->returned, Returned::kNever);
  EXPECT_EQ(password->mutability, Mutability::kWriteOnly);
  EXPECT_EQ(user_schema().find("groups")->mutability, Mutability::kReadOnly);
  EXPECT_TRUE(user_schema().find("emails")->multi_valued);
  EXPECT_EQ(user_schema().find("x509Certificates")->find_sub("value")->type, AttrType::kBinary);
  const Attribute* id = common_schema().find("id");
  EXPECT_EQ(id->returned, Returned::kAlways);
  EXPECT_TRUE(id->case_exact);
  EXPECT_EQ(id->mutability, Mutability::kReadOnly);
  const Attribute* members = group_schema().find("members");
  EXPECT_EQ(members->find_sub("value")->mutability, Mutability::kImmutable);
  EXPECT_NE(members->find_sub("$REF"), nullptr);
  EXPECT_EQ(enterprise_user_schema().find("manager")->find_sub("displayName")->mutability, Mutability::kReadOnly);
}

TEST(SchemaTest, JsonRepresentations) {
  const auto j = schema_to_json(user_schema(), "https://gate.example/scim/v2");
  EXPECT_EQ(j["id"], "urn:ietf:params:scim:schemas:core:2.0:User");
  EXPECT_EQ(j["meta"]["location"], "https://gate.example/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User");
  bool saw_emails = false;
  for (const auto& a : j["attributes"]) {
    if (a["name"] == "emails") {
      saw_emails = true;
      EXPECT_EQ(a["type"], "complex");
      EXPECT_EQ(a["multiValued"], true);
      EXPECT_EQ(a["subAttributes"].size(), 4U);
      EXPECT_EQ(a["subAttributes"][2]["canonicalValues"], nlohmann::json::parse(R"(["work","home","other"])"));
    }
  }
  EXPECT_TRUE(saw_emails);
  const auto rt = resource_type_to_json(user_resource_type(), "https://gate.example/scim/v2");
  EXPECT_EQ(rt["endpoint"], "/Users");
  EXPECT_EQ(rt["schemaExtensions"][0]["schema"], "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_FALSE(resource_type_to_json(group_resource_type(), "").contains("schemaExtensions"));
}

TEST(PathTest, ResolvesAgainstCoreCommonAndExtensions) {
  const auto r = [](std::string_view text) {
    auto p = parse_attr_path(text);
    EXPECT_TRUE(p.ok()) << text;
    auto resolved = resolve_path(user_resource_type(), *p);
    return resolved ? resolved->key() : std::string("none");
  };
  EXPECT_EQ(r("userName"), "username");
  EXPECT_EQ(r("NAME.givenname"), "name.givenname");
  EXPECT_EQ(r("meta.lastModified"), "meta.lastmodified");
  EXPECT_EQ(r("urn:ietf:params:scim:schemas:core:2.0:User:id"), "id");
  EXPECT_EQ(r("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager.value");
  EXPECT_EQ(r("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user");
  EXPECT_EQ(r("costCenter"), "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:costcenter");
  EXPECT_EQ(r("nosuch"), "none");
  EXPECT_EQ(r("name.nosuch"), "none");
  EXPECT_EQ(r("urn:ietf:params:scim:schemas:core:2.0:Group:displayName"), "none");
  for (const char* bad : {"", "a b", "a.b.c", "9a", "urn:x:", "a[b]", "a\"b", "$refx"}) {
    auto p = parse_attr_path(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(scim_type_of(p.error()), ScimType::kInvalidPath);
  }
}

TEST(ErrorTest, ScimErrorBodies) {
  const Error e = scim_error(ScimType::kUniqueness, "userName bjensen is taken");
  EXPECT_EQ(scim_status(e), 409);
  EXPECT_EQ(error_body(e), nlohmann::json::parse(R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
      "status": "409", "scimType": "uniqueness", "detail": "userName bjensen is taken"})"));
  const Error plain = make_error(ErrorCode::kNotFound, "no such user");
  EXPECT_EQ(error_body(plain), nlohmann::json::parse(R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
      "status": "404", "detail": "no such user"})"));
  EXPECT_EQ(scim_type_of(scim_error(ScimType::kInvalidFilter, "x")), ScimType::kInvalidFilter);
}

}  // namespace
}  // namespace mcpgate::scim
